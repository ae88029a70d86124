// RFC 9420 §6.1 (FramedContent signatures), §7.3 (leaf node validation), §10.1 (KeyPackage validation), §8.2 and §12.4.3
// (transcript hash and GroupInfo): the checks of a handshake message that need no group secret, which the Delivery
// Service makes before it orders the message (docs/security.md, "What the server checks").
using Parley.Mls;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>Cryptographic checks of a PublicMessage against what the server holds: each leaf's signature key, each
/// device's registered key, and the current epoch's GroupContext. Each returns null when the check passes, else a
/// sentence saying what failed.</summary>
public static class HandshakeChecks
{
    /// <summary>The FramedContent signature (RFC 9420 §6.1) over <paramref name="state"/>'s GroupContext, with
    /// <paramref name="signatureKey"/>, the key the server holds for the sender's leaf.</summary>
    public static string? VerifySignature(CipherSuite suite, PublicMessage message, GroupEpochState state, byte[] signatureKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(state);
        return VerifiesSafely(() => message.ToAuthenticatedContent().Verify(suite, signatureKey, state.Context))
            ? null
            : "The message's signature does not verify with the sender's key over the group's current context.";
    }

    /// <summary>The signature of a new_member_proposal (RFC 9420 §6.1: by the added leaf's key, over no group context).</summary>
    public static string? VerifyJoinRequestSignature(CipherSuite suite, PublicMessage message, byte[] signatureKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(message);
        return VerifiesSafely(() => message.ToAuthenticatedContent().Verify(suite, signatureKey, null))
            ? null
            : "The request's signature does not verify with the added leaf's key.";
    }

    /// <summary>A key package naming a device (RFC 9420 §10.1): the group's suite, which must sign like the device's
    /// registered suite, a leaf from a key package whose signature key is the device's registered one, and valid leaf and
    /// package signatures.</summary>
    public static string? CheckKeyPackage(CipherSuite suite, KeyPackage keyPackage, Device device)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(keyPackage);
        ArgumentNullException.ThrowIfNull(device);
        LeafNode leaf = keyPackage.LeafNode;
        if (keyPackage.CipherSuite != suite.Id)
        {
            return $"A key package must use the group's cipher suite {suite.Id}.";
        }
        if (!DeviceSuites.Allows(device, suite.Id, out _))
        {
            return $"Device {device.Id} registered suite {device.CipherSuite}, whose signatures differ from suite {suite.Id}'s.";
        }
        if (leaf.Source != LeafNodeSource.KeyPackage)
        {
            return "A key package's leaf node must come from a key package.";
        }
        if (!leaf.SignatureKey.AsSpan().SequenceEqual(device.SignatureKey))
        {
            return $"A key package for device {device.Id} must carry that device's registered signature key.";
        }
        return VerifiesSafely(() => leaf.Verify(suite) && keyPackage.Verify(suite)) ? null : "A key package's signature does not verify.";
    }

    /// <summary>A leaf node a member sends for itself in an Update or a Commit's path (RFC 9420 §7.3): its signature key is
    /// <paramref name="expectedKey"/> when the server requires one, and its signature over the group id and leaf index verifies.</summary>
    public static string? CheckOwnLeaf(CipherSuite suite, LeafNode leaf, byte[]? expectedKey, byte[] groupId, uint leafIndex,
        LeafNodeSource source)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(leaf);
        if (leaf.Source != source)
        {
            return $"The leaf node must have source {source}.";
        }
        if (expectedKey is not null && !leaf.SignatureKey.AsSpan().SequenceEqual(expectedKey))
        {
            return "A member's leaf node must carry its device's registered signature key.";
        }
        return VerifiesSafely(() => leaf.Verify(suite, groupId, new LeafIndex(leafIndex))) ? null : "The leaf node's signature does not verify.";
    }

    /// <summary>The GroupInfo of the epoch a commit starts (RFC 9420 §12.4.3): for this group and the next epoch, carrying
    /// the commit's confirmation tag, the confirmed transcript hash that follows from the state <paramref name="roster"/> holds and the commit
    /// (when the server holds the state), the expected extensions, signed by the committer's leaf with its key. Returns the
    /// new epoch's state.</summary>
    public static (GroupEpochState? Next, string? Error) CheckGroupInfo(CipherSuite suite, GroupRoster roster, PublicMessage commit,
        GroupInfo groupInfo, uint committerLeaf, byte[]? committerKey, IReadOnlyList<Extension>? expectedExtensions)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(commit);
        ArgumentNullException.ThrowIfNull(groupInfo);
        GroupContext next = groupInfo.GroupContext;
        byte[]? tag = commit.Auth.ConfirmationTag;
        if (next.CipherSuite != roster.CipherSuite || GroupId.FromBytes(next.GroupId) != roster.Id || next.Epoch != roster.Epoch + 1)
        {
            return (null, "The GroupInfo must describe this group at the epoch the commit starts.");
        }
        if (tag is null || !tag.AsSpan().SequenceEqual(groupInfo.ConfirmationTag))
        {
            return (null, "The GroupInfo must carry the commit's confirmation tag.");
        }
        if (groupInfo.Signer.Value != committerLeaf)
        {
            return (null, "The GroupInfo must be signed by the committer's leaf.");
        }
        if (committerKey is not null && !VerifiesSafely(() => groupInfo.Verify(suite, committerKey)))
        {
            return (null, "The GroupInfo's signature does not verify with the committer's key.");
        }
        if (roster.State is { } state)
        {
            byte[] confirmed = TranscriptHash.Confirmed(suite, state.InterimTranscriptHash, commit.ToAuthenticatedContent());
            if (!confirmed.AsSpan().SequenceEqual(next.ConfirmedTranscriptHash))
            {
                return (null, "The GroupInfo's confirmed transcript hash does not follow from the group's transcript and this commit.");
            }
            if (expectedExtensions is not null && !SameExtensions(expectedExtensions, next.Extensions))
            {
                return (null, "The GroupInfo's group context extensions are not those the commit sets.");
            }
        }
        return (new GroupEpochState(next, TranscriptHash.Interim(suite, next.ConfirmedTranscriptHash, tag)), null);
    }

    private static bool SameExtensions(IReadOnlyList<Extension> a, IReadOnlyList<Extension> b)
        => a.Count == b.Count && a.Zip(b).All(p => p.First.Type == p.Second.Type && p.First.Data.AsSpan().SequenceEqual(p.Second.Data));

    /// <summary>Runs a signature check; a malformed key or signature (wrong length, not on the curve) is a failed
    /// verification, not a server error.</summary>
    internal static bool VerifiesSafely(Func<bool> verify)
    {
        try
        {
            return verify();
        }
        catch (Exception e) when (e is MlsException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return false;
        }
    }
}
