// Key packages of others (RFC 9420 §10; docs/server-protocol.md, "Key packages"): before this device adds an
// account's devices to a group, it looks the account up (pinning its identity key), claims one key package per
// device and keeps only those whose leaf the account's identity key certifies.
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Client.Groups;

/// <summary>A key package claimed for one device of an account, its certificate checked.</summary>
internal sealed record ClaimedPackage(string Username, string DeviceId, KeyPackage KeyPackage);

/// <summary>Looks accounts up and claims their devices' key packages.</summary>
internal sealed class KeyPackageClaims(DeviceContext device, LeafVerifier leaves)
{

    /// <summary>The account's directory entry, with its identity key checked against the pinned one (pinned if new).</summary>
    public async Task<DirectoryEntry> LookUpAccountAsync(string username, CancellationToken cancellationToken)
    {
        DirectoryEntry entry;
        try
        {
            entry = await device.Server.GetAccountAsync(username, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code == "account_not_found")
        {
            throw new ParleyClientException($"There is no account named {username} on {device.Server.Server}.", e);
        }
        if (username == device.Username)
        {
            if (!entry.IdentityKey.AsSpan().SequenceEqual(device.Identity.AccountIdentityPublicKey))
            {
                throw new IdentityKeyChangedException(username);
            }
        }
        else
        {
            leaves.PinIdentityKey(username, entry.IdentityKey);
        }
        return entry;
    }

    /// <summary>Claims one key package per device of each account (and of this account's other devices), keeping only
    /// packages whose leaf is certified by the account's pinned identity key, in <paramref name="cipherSuite"/> (an existing
    /// group's) or, for a new group, in the suite <see cref="ChooseSuite"/> picks from the directory.</summary>
    public async Task<(ushort Suite, List<ClaimedPackage> Packages)> ClaimForAsync(IReadOnlyList<string> usernames, bool includeOwnDevices,
        ushort? cipherSuite, CancellationToken cancellationToken)
    {
        var entries = new List<DirectoryEntry>();
        foreach (string username in usernames)
        {
            entries.Add(await LookUpAccountAsync(username, cancellationToken).ConfigureAwait(false));
        }
        if (includeOwnDevices && cipherSuite is null)
        {
            entries.Add(await LookUpAccountAsync(device.Username, cancellationToken).ConfigureAwait(false));
        }
        ushort suite = cipherSuite ?? ChooseSuite(entries);
        var result = new List<ClaimedPackage>();
        for (int i = 0; i < usernames.Count; i++)
        {
            string username = usernames[i];
            var packages = await ClaimVerifiedAsync(username, suite, cancellationToken).ConfigureAwait(false);
            if (packages.Count == 0 && entries[i].Devices.Any(d => d.KeyPackageSuites is { Count: > 0 } suites && !suites.Contains(suite)))
            {
                throw new ParleyClientException(
                    $"{username}'s devices have no key packages in this conversation's cipher suite {suite}; ask {username} to update Parley and open it once.");
            }
            if (packages.Count == 0)
            {
                throw new ParleyClientException($"{username} has no devices with key packages left; ask {username} to open Parley once.");
            }
            result.AddRange(packages);
        }
        if (includeOwnDevices)
        {
            result.AddRange(await ClaimVerifiedAsync(device.Username, suite, cancellationToken).ConfigureAwait(false));
        }
        return (suite, result);
    }

    /// <summary>The suite of a new group with the devices of <paramref name="entries"/> (docs/protocol.md, "Cipher suites"):
    /// the first of this device's suites (the post-quantum one first) in which every other device that has key packages at
    /// all has one; else this device's registered suite, in which the group then adds whichever devices have packages.</summary>
    public ushort ChooseSuite(IEnumerable<DirectoryEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var offered = entries.SelectMany(e => e.Devices)
            .Where(d => d.DeviceId != device.DeviceId)
            .Select(d => d.KeyPackageSuites ?? [d.CipherSuite])
            .Where(suites => suites.Count > 0)
            .ToList();
        foreach (ushort suite in device.Leaf.Suites)
        {
            if (offered.All(suites => suites.Contains(suite)))
            {
                return suite;
            }
        }
        return device.Identity.CipherSuite;
    }

    /// <summary>Claims one key package of <paramref name="cipherSuite"/> per device of <paramref name="username"/> (other than
    /// this device), keeping only packages of that suite whose leaf is certified by the account's pinned identity key.</summary>
    public async Task<List<ClaimedPackage>> ClaimVerifiedAsync(string username, ushort cipherSuite, CancellationToken cancellationToken)
    {
        ClaimKeyPackagesResponse claim;
        try
        {
            claim = await device.Server.ClaimKeyPackagesAsync(username, cipherSuite, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code == "no_key_packages")
        {
            return [];
        }
        byte[] identityKey = username == device.Username ? device.Identity.AccountIdentityPublicKey : device.Store.GetContact(username)!.IdentityKey;
        var verified = new List<ClaimedPackage>();
        foreach (var entry in claim.KeyPackages)
        {
            KeyPackage? keyPackage;
            try
            {
                keyPackage = MlsMessage.Decode(entry.KeyPackage).KeyPackage;
            }
            catch (MlsDecodeException)
            {
                continue;
            }
            if (keyPackage is null || keyPackage.CipherSuite != cipherSuite || entry.DeviceId == device.DeviceId)
            {
                continue;
            }
            var leaf = new RosterLeaf(default, GroupRoster.DeviceIdOf(keyPackage.LeafNode), AccountBinding.Of(keyPackage.LeafNode), keyPackage.LeafNode);
            if (leaf.DeviceId != entry.DeviceId || leaf.DeviceId != DeviceIdentity.DeriveDeviceId(leaf.Node.SignatureKey)
                || leaf.Binding is not { } binding || binding.Username != username
                || !binding.Verifies(identityKey, keyPackage.CipherSuite, leaf.Node.SignatureKey))
            {
                continue;
            }
            verified.Add(new ClaimedPackage(username, entry.DeviceId, keyPackage));
        }
        return verified;
    }
}
