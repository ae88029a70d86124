using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Framing;
using Parley.Mls.Tree;
using Parley.Server.Channels;

namespace Parley.Server.Tests;

/// <summary>Builds real MLS structures with Parley.Mls: signed key packages, and PublicMessage
/// commits and proposals, PrivateMessages and Welcomes framed as a client would frame them. The
/// server never checks the group-level signatures or tags (it has no group secrets), so those are
/// random bytes of the right length.</summary>
public static class TestMls
{
    public static readonly CipherSuite Suite = CipherSuite.Get(1);

    /// <summary>A signed key package; <paramref name="lastResort"/> marks it with the last_resort extension (listed in its
    /// leaf's capabilities), as a device marks the package it uploads as its last resort. <paramref name="cipherSuite"/> is
    /// the package's suite (1 unless given).</summary>
    public static KeyPackage KeyPackageRecord(string deviceId, SignatureKeyPair key, ulong notBefore = 0, ulong notAfter = ulong.MaxValue,
        bool lastResort = false, ushort cipherSuite = 1)
    {
        CipherSuite suite = CipherSuite.Get(cipherSuite);
        var leaf = new LeafNode(
            suite.Hpke.GenerateKeyPair().PublicKey,
            key.PublicKey,
            Credential.Basic(Encoding.ASCII.GetBytes(deviceId)),
            new Capabilities([1], [cipherSuite], lastResort ? [ExtensionType.LastResort] : [], [], [CredentialType.Basic]),
            LeafNodeSource.KeyPackage,
            new Lifetime(notBefore, notAfter),
            null,
            [],
            []).Sign(suite, key.PrivateKey);
        return new KeyPackage(1, cipherSuite, suite.Hpke.GenerateKeyPair().PublicKey, leaf, lastResort ? [new Extension(ExtensionType.LastResort, [])] : [], [])
            .Sign(suite, key.PrivateKey);
    }

    public static byte[] KeyPackage(string deviceId, SignatureKeyPair key, ulong notBefore = 0, ulong notAfter = ulong.MaxValue,
        bool lastResort = false, ushort cipherSuite = 1)
        => new MlsMessage(KeyPackageRecord(deviceId, key, notBefore, notAfter, lastResort, cipherSuite)).ToBytes();

    public static byte[] NewGroupId() => RandomNumberGenerator.GetBytes(16);

    /// <summary>A member's commit by value.</summary>
    public static byte[] Commit(byte[] groupId, ulong epoch, uint senderLeaf, params Proposal[] proposals)
        => new MlsMessage(CommitMessage(groupId, epoch, Sender.Member(new LeafIndex(senderLeaf)),
            new Commit(proposals.Select(p => new ProposalOrRef(p)).ToList(), null))).ToBytes();

    public static PublicMessage CommitMessage(byte[] groupId, ulong epoch, Sender sender, Commit commit)
        => new(FramedContent.ForCommit(groupId, epoch, sender, [], commit),
            new FramedContentAuthData(RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(32)),
            sender.Type == SenderType.Member ? RandomNumberGenerator.GetBytes(32) : null);

    public static PublicMessage ProposalMessage(byte[] groupId, ulong epoch, uint senderLeaf, Proposal proposal)
        => new(FramedContent.ForProposal(groupId, epoch, Sender.Member(new LeafIndex(senderLeaf)), [], proposal),
            new FramedContentAuthData(RandomNumberGenerator.GetBytes(64), null), RandomNumberGenerator.GetBytes(32));

    /// <summary>A device's request to join (RFC 9420 §12.1.8: an Add of its own key package from a new_member_proposal
    /// sender), signed by <paramref name="signer"/> (the key package's own key, unless a test forges it).</summary>
    public static byte[] JoinRequest(byte[] groupId, ulong epoch, KeyPackage keyPackage, SignatureKeyPair signer)
    {
        var framed = FramedContent.ForProposal(groupId, epoch, Sender.NewMemberProposal, [], new Add(keyPackage));
        var content = Parley.Mls.Messages.AuthenticatedContent.Sign(Suite, WireFormat.MlsPublicMessage, framed, signer.PrivateKey, null);
        return new MlsMessage(new PublicMessage(content.Content, content.Auth, null)).ToBytes();
    }

    public static byte[] Application(byte[] groupId, ulong epoch, int size = 100)
        => new MlsMessage(new PrivateMessage(groupId, epoch, ContentType.Application, [], RandomNumberGenerator.GetBytes(40),
            RandomNumberGenerator.GetBytes(size))).ToBytes();

    /// <summary>A Welcome naming the given key packages (as KeyPackageRefs).</summary>
    public static byte[] Welcome(params KeyPackage[] joiners)
        => new MlsMessage(new Welcome(1,
            joiners.Select(kp => new EncryptedGroupSecrets(kp.Ref(Suite),
                new HpkeCiphertext(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(64)))).ToList(),
            RandomNumberGenerator.GetBytes(200))).ToBytes();

    public static KeyPackage DecodeKeyPackage(byte[] message) => MlsMessage.Decode(message).KeyPackage!;

    /// <summary>A commit path's new leaf node with a basic credential of <paramref name="identity"/>, signed by
    /// <paramref name="key"/> over the group id and leaf index (RFC 9420 §7.2).</summary>
    public static LeafNode CommitLeaf(byte[] identity, SignatureKeyPair key, byte[] groupId, LeafIndex leaf)
        => new LeafNode(Suite.Hpke.GenerateKeyPair().PublicKey, key.PublicKey, Credential.Basic(identity),
            new Capabilities([1], [1], [], [], [CredentialType.Basic]), LeafNodeSource.Commit, null, [], [], [])
            .Sign(Suite, key.PrivateKey, groupId, leaf);

    /// <summary>A member's commit that needs a path (RFC 9420 §12.4: any proposal but add, psk and reinit, or none) and has none,
    /// given one whose leaf carries <paramref name="identity"/> and is signed by <paramref name="key"/> at the sender's leaf; any
    /// other message unchanged. The path has no parent nodes: the server does not see the tree.</summary>
    public static PublicMessage WithPath(PublicMessage message, byte[] identity, SignatureKeyPair key, LeafIndex? leafIndex = null)
    {
        FramedContent content = message.Content;
        if (content.Commit is not { Path: null } commit
            || !(commit.Proposals.Count == 0 || commit.Proposals.Any(p => p.Proposal is null or not (Add or PreSharedKey or ReInit))))
        {
            return message;
        }
        var leaf = CommitLeaf(identity, key, content.GroupId, leafIndex ?? content.Sender.LeafIndex);
        return message with
        {
            Content = FramedContent.ForCommit(content.GroupId, content.Epoch, content.Sender, content.AuthenticatedData,
                commit with { Path = new UpdatePath(leaf, []) }),
        };
    }
}

/// <summary>A member's handshake message signed by <see cref="GroupSigner"/>, with the GroupInfo and state of the epoch a commit starts.</summary>
public sealed record SignedHandshake(byte[] Message, byte[]? GroupInfo, GroupContext? NextContext, byte[]? NextInterim);

/// <summary>Tracks a group's epochs as the server does (each commit's GroupInfo gives the next context; the tree hash is random,
/// the server cannot check it) and signs members' commits and proposals as their clients do.</summary>
public sealed class GroupSigner
{
    private readonly ConcurrentDictionary<ulong, (GroupContext Context, byte[] Interim)> _states = new();

    /// <summary>A signer for a new group, and the epoch 0 GroupInfo its creator registers it with.</summary>
    public static (GroupSigner Signer, byte[] Genesis) Create(byte[] groupId, SignatureKeyPair creatorKey, IReadOnlyList<Extension>? extensions = null)
    {
        var (info, message) = Genesis(creatorKey, groupId, extensions);
        var signer = new GroupSigner();
        signer._states[0] = (info.GroupContext, TranscriptHash.Interim(TestMls.Suite, [], info.ConfirmationTag));
        return (signer, message);
    }

    /// <summary>A group's epoch 0 GroupInfo as its creator signs it.</summary>
    public static (GroupInfo Info, byte[] Message) Genesis(SignatureKeyPair creatorKey, byte[] groupId, IReadOnlyList<Extension>? extensions = null)
    {
        var context = new GroupContext(1, groupId, 0, RandomNumberGenerator.GetBytes(32), [], extensions ?? []);
        var info = new GroupInfo(context, [], RandomNumberGenerator.GetBytes(32), new LeafIndex(0), []).Sign(TestMls.Suite, creatorKey.PrivateKey);
        return (info, new MlsMessage(info).ToBytes());
    }

    /// <summary>Records the epoch an accepted commit started.</summary>
    public void Accepted(SignedHandshake signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        if (signed.NextContext is { } next)
        {
            _states[next.Epoch] = (next, signed.NextInterim!);
        }
    }

    private static PublicMessage? TryDecodePublic(byte[] message)
    {
        try
        {
            return MlsMessage.Decode(message).PublicMessage;
        }
        catch (MlsDecodeException)
        {
            return null;
        }
    }

    /// <summary>A member's commit or proposal in <paramref name="message"/> signed with <paramref name="key"/> over the context of
    /// its epoch (a commit that needs a path gets one, and the new epoch's GroupInfo); null when it is not a member's
    /// PublicMessage of a known epoch. A pseudonymous signer's path leaf carries its pseudonym.</summary>
    public SignedHandshake? TrySign(string deviceId, SignatureKeyPair key, bool pseudonymous, byte[] message) => TrySign(deviceId, key, pseudonymous, message, null);

    /// <summary>An external commit (new_member_commit) in <paramref name="message"/> signed by the joiner, whose new leaf is
    /// <paramref name="joinerLeaf"/>, with a path leaf of its own.</summary>
    public SignedHandshake SignExternal(string deviceId, SignatureKeyPair key, byte[] message, uint joinerLeaf)
        => TrySign(deviceId, key, false, message, joinerLeaf)!;

    private SignedHandshake? TrySign(string deviceId, SignatureKeyPair key, bool pseudonymous, byte[] message, uint? joinerLeaf)
    {
        if (TryDecodePublic(message) is not { } pm || !_states.TryGetValue(pm.Content.Epoch, out var state)
            || pm.Content.Sender.Type != (joinerLeaf is null ? SenderType.Member : SenderType.NewMemberCommit))
        {
            return null;
        }
        var ownLeaf = joinerLeaf is { } joiner ? new LeafIndex(joiner) : pm.Content.Sender.LeafIndex;
        var (context, interim) = state;
        var suite = TestMls.Suite;
        byte[] identity = pseudonymous ? PseudonymousCredential.IdentityFor(key.PublicKey) : Encoding.ASCII.GetBytes(deviceId);
        FramedContent content = TestMls.WithPath(pm, identity, key, ownLeaf).Content;
        var signed = AuthenticatedContent.Sign(suite, WireFormat.MlsPublicMessage, content, key.PrivateKey, context);
        if (content.Commit is null)
        {
            return new SignedHandshake(new MlsMessage(new PublicMessage(content, signed.Auth, pm.MembershipTag)).ToBytes(), null, null, null);
        }
        byte[] tag = pm.Auth.ConfirmationTag ?? RandomNumberGenerator.GetBytes(32);
        signed = signed.WithConfirmationTag(tag);
        byte[] confirmed = TranscriptHash.Confirmed(suite, interim, signed);
        var extensions = content.Commit.Proposals.Select(p => p.Proposal).OfType<GroupContextExtensions>().FirstOrDefault()?.Extensions
                         ?? context.Extensions;
        var nextContext = context with
        {
            Epoch = context.Epoch + 1, TreeHash = RandomNumberGenerator.GetBytes(32), ConfirmedTranscriptHash = confirmed, Extensions = extensions,
        };
        var info = new GroupInfo(nextContext, [], tag, ownLeaf, []).Sign(suite, key.PrivateKey);
        return new SignedHandshake(new MlsMessage(new PublicMessage(content, signed.Auth, pm.MembershipTag)).ToBytes(),
            new MlsMessage(info).ToBytes(), nextContext, TranscriptHash.Interim(suite, confirmed, tag));
    }


}
