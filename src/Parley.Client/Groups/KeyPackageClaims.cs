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

    /// <summary>Claims one key package per device of each account (and of this account's other devices), keeping
    /// only packages whose leaf is certified by the account's pinned identity key.</summary>
    public async Task<List<ClaimedPackage>> ClaimForAsync(IReadOnlyList<string> usernames, bool includeOwnDevices, CancellationToken cancellationToken)
    {
        var result = new List<ClaimedPackage>();
        foreach (string username in usernames)
        {
            await LookUpAccountAsync(username, cancellationToken).ConfigureAwait(false);
            var packages = await ClaimVerifiedAsync(username, cancellationToken).ConfigureAwait(false);
            if (packages.Count == 0)
            {
                throw new ParleyClientException($"{username} has no devices with key packages left; ask {username} to open Parley once.");
            }
            result.AddRange(packages);
        }
        if (includeOwnDevices)
        {
            result.AddRange(await ClaimVerifiedAsync(device.Username, cancellationToken).ConfigureAwait(false));
        }
        return result;
    }

    /// <summary>Claims one key package per device of <paramref name="username"/> (other than this device), keeping only
    /// packages of this device's suite whose leaf is certified by the account's pinned identity key.</summary>
    public async Task<List<ClaimedPackage>> ClaimVerifiedAsync(string username, CancellationToken cancellationToken)
    {
        ClaimKeyPackagesResponse claim;
        try
        {
            claim = await device.Server.ClaimKeyPackagesAsync(username, cancellationToken).ConfigureAwait(false);
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
            if (keyPackage is null || keyPackage.CipherSuite != device.Leaf.Suite.Id || entry.DeviceId == device.DeviceId)
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
