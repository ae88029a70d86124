// Safety and key changes (docs/security.md, "Identity pinning"): every leaf this device accepts in a group is a
// device certified by its account's pinned identity key, or a channel's pseudonymous subscriber leaf. The
// first key seen for an account is pinned; a different one is refused, and told once, until the user accepts it.
using Parley.Client.Channels;
using Parley.Client.Groups;
using Parley.Client.Sync;
using Parley.Mls.Group;

namespace Parley.Client.Identity;

/// <summary>Checks group leaves against pinned identity keys and reports key changes. Owns the cache of leaves it
/// verified (by account and signature key).</summary>
internal sealed class LeafVerifier(DeviceContext device, Action<MlsGroup> channelSeen)
{
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    /// <summary>Checks <paramref name="username"/>'s identity key against the pinned one (pinned if new) and raises
    /// <see cref="IdentityKeyChanged"/> the first time a new key is seen; throws <see cref="IdentityKeyChangedException"/>
    /// while it differs.</summary>
    public Contact PinIdentityKey(string username, byte[] identityKey)
    {
        var before = device.Store.GetContact(username);
        try
        {
            return device.Store.CheckIdentityKey(username, identityKey);
        }
        catch (IdentityKeyChangedException)
        {
            bool known = before?.PendingIdentityKey is { } pending && pending.AsSpan().SequenceEqual(identityKey);
            if (!known && device.Store.GetContact(username) is { } changed)
            {
                device.Events.Publish(new IdentityKeyChanged(changed));
            }
            throw;
        }
    }

    /// <summary>Forgets the leaves of <paramref name="username"/> verified so far (its key changed and was accepted).</summary>
    public void Forget(string username) => _verified.RemoveWhere(k => k.StartsWith(username + "/", StringComparison.Ordinal));

    /// <summary>Verifies a leaf of <paramref name="group"/>: a well-formed pseudonymous leaf is accepted without an account
    /// in a channel (and only there); every other leaf must be a device certified by its account. Returns null when
    /// it is, else the reason.</summary>
    public async Task<string?> VerifyMemberLeafAsync(MlsGroup group, RosterLeaf leaf, CancellationToken cancellationToken)
    {
        if (ChannelRules.IsChannel(group))
        {
            channelSeen(group);
            if (ChannelRules.AcceptsWithoutAccount(group, leaf))
            {
                return null;
            }
            if (PseudonymousLeaf.ClaimsToBe(leaf.Node))
            {
                return "its pseudonymous credential does not match its key";
            }
        }
        return await VerifyLeafAsync(leaf, group.Suite.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks that a leaf is a device of the account it names: its credential names the device id of its
    /// signature key, and its certificate verifies under the account's pinned identity key (pinned now if new).
    /// Returns null when it does, else the reason.</summary>
    private async Task<string?> VerifyLeafAsync(RosterLeaf leaf, ushort suite, CancellationToken cancellationToken)
    {
        if (leaf.Binding is not { } binding)
        {
            return "it names no account";
        }
        if (leaf.DeviceId != DeviceIdentity.DeriveDeviceId(leaf.Node.SignatureKey))
        {
            return "its credential does not match its key";
        }
        string cacheKey = binding.Username + "/" + Convert.ToHexString(leaf.Node.SignatureKey);
        if (_verified.Contains(cacheKey))
        {
            return null;
        }
        byte[] identityKey;
        if (binding.Username == device.Username)
        {
            identityKey = device.Identity.AccountIdentityPublicKey;
        }
        else
        {
            var contact = device.Store.GetContact(binding.Username);
            if (contact is null)
            {
                var entry = await device.Server.GetAccountAsync(binding.Username, cancellationToken).ConfigureAwait(false);
                try
                {
                    contact = PinIdentityKey(binding.Username, entry.IdentityKey);
                }
                catch (IdentityKeyChangedException)
                {
                    return $"{binding.Username}'s identity key changed";
                }
            }
            if (contact.IdentityChanged)
            {
                return $"{binding.Username}'s identity key changed";
            }
            identityKey = contact.IdentityKey;
        }
        if (!binding.Verifies(identityKey, suite, leaf.Node.SignatureKey))
        {
            return $"its certificate does not verify under {binding.Username}'s identity key";
        }
        _verified.Add(cacheKey);
        return null;
    }
}
