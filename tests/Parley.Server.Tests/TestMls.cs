using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Server.Tests;

/// <summary>Builds real MLS structures with Parley.Mls: signed key packages, and PublicMessage
/// commits and proposals, PrivateMessages and Welcomes framed as a client would frame them. The
/// server never checks the group-level signatures or tags (it has no group secrets), so those are
/// random bytes of the right length.</summary>
public static class TestMls
{
    public static readonly CipherSuite Suite = CipherSuite.Get(1);

    /// <summary>A signed key package; <paramref name="lastResort"/> marks it with the last_resort extension (listed in its
    /// leaf's capabilities), as a device marks the package it uploads as its last resort.</summary>
    public static KeyPackage KeyPackageRecord(string deviceId, SignatureKeyPair key, ulong notBefore = 0, ulong notAfter = ulong.MaxValue,
        bool lastResort = false)
    {
        var leaf = new LeafNode(
            Suite.Hpke.GenerateKeyPair().PublicKey,
            key.PublicKey,
            Credential.Basic(Encoding.ASCII.GetBytes(deviceId)),
            new Capabilities([1], [1], lastResort ? [ExtensionType.LastResort] : [], [], [CredentialType.Basic]),
            LeafNodeSource.KeyPackage,
            new Lifetime(notBefore, notAfter),
            null,
            [],
            []).Sign(Suite, key.PrivateKey);
        return new KeyPackage(1, 1, Suite.Hpke.GenerateKeyPair().PublicKey, leaf, lastResort ? [new Extension(ExtensionType.LastResort, [])] : [], [])
            .Sign(Suite, key.PrivateKey);
    }

    public static byte[] KeyPackage(string deviceId, SignatureKeyPair key, ulong notBefore = 0, ulong notAfter = ulong.MaxValue,
        bool lastResort = false)
        => new MlsMessage(KeyPackageRecord(deviceId, key, notBefore, notAfter, lastResort)).ToBytes();

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
}
