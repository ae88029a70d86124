// RFC 9420 §5.1.2 (SignWithLabel), §6.1-6.2 (FramedContentTBS, membership tag), §7.2 (LeafNodeTBS),
// §10 (KeyPackageTBS, KeyPackageRef), §12.4.3 (GroupInfoTBS).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Messages;

public sealed class MessageSigningTests
{
    public static IEnumerable<object[]> Suites()
        => CipherSuite.Supported.Select(id => new object[] { id });

    public static IEnumerable<object[]> ProtectionEntries()
        => VectorFile.Cases("message-protection", e => CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _));

    public static IEnumerable<object[]> WelcomeEntries()
        => VectorFile.Cases("welcome", e => CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _));

    [Theory]
    [MemberData(nameof(ProtectionEntries))]
    public void Vector_public_messages_verify_with_signature_key_and_membership_key(int index, ushort suiteId)
    {
        var (suite, entry, context) = ProtectionVector(index, suiteId);
        byte[] signaturePub = entry.Hex("signature_pub");
        byte[] membershipKey = entry.Hex("membership_key");

        foreach (string field in new[] { "proposal_pub", "commit_pub" })
        {
            var message = MlsMessage.Decode(entry.Hex(field)).PublicMessage!;
            Assert.Equal(new LeafIndex(1), message.Content.Sender.LeafIndex);
            Assert.True(message.ToAuthenticatedContent().Verify(suite, signaturePub, context), field);
            Assert.True(message.VerifyMembershipTag(suite, membershipKey, context), field);
            Assert.False(message.VerifyMembershipTag(suite, new byte[membershipKey.Length], context), field);
        }

        var proposal = MlsMessage.Decode(entry.Hex("proposal_pub")).PublicMessage!;
        Assert.Equal(entry.Hex("proposal"), proposal.Content.Proposal!.ToBytes());
        var commit = MlsMessage.Decode(entry.Hex("commit_pub")).PublicMessage!;
        Assert.Equal(entry.Hex("commit"), commit.Content.Commit!.ToBytes());
    }

    [Theory]
    [MemberData(nameof(ProtectionEntries))]
    public void Content_signed_again_with_the_vector_keys_verifies(int index, ushort suiteId)
    {
        var (suite, entry, context) = ProtectionVector(index, suiteId);
        byte[] signaturePriv = entry.Hex("signature_priv");
        byte[] signaturePub = entry.Hex("signature_pub");
        byte[] membershipKey = entry.Hex("membership_key");

        foreach (string field in new[] { "proposal_pub", "commit_pub" })
        {
            var original = MlsMessage.Decode(entry.Hex(field)).PublicMessage!;
            var signed = AuthenticatedContent.Sign(suite, WireFormat.MlsPublicMessage, original.Content, signaturePriv, context);
            if (original.Auth.ConfirmationTag is { } tag)
            {
                signed = signed.WithConfirmationTag(tag);
            }
            var message = PublicMessage.Create(signed, suite, membershipKey, context);

            var decoded = MlsMessage.Decode(new MlsMessage(message).ToBytes()).PublicMessage!;
            Assert.True(decoded.ToAuthenticatedContent().Verify(suite, signaturePub, context), field);
            Assert.True(decoded.VerifyMembershipTag(suite, membershipKey, context), field);
            var otherEpoch = context with { Epoch = context.Epoch + 1 };
            Assert.False(decoded.ToAuthenticatedContent().Verify(suite, signaturePub, otherEpoch), field);
            Assert.False(decoded.VerifyMembershipTag(suite, membershipKey, otherEpoch), field);
        }
    }

    [Theory]
    [MemberData(nameof(WelcomeEntries))]
    public void Vector_key_package_verifies_and_its_ref_names_a_welcome_recipient(int index, ushort suiteId)
    {
        var entry = VectorFile.Load("welcome")[index];
        var suite = CipherSuite.Get(suiteId);
        var keyPackage = MlsMessage.Decode(entry.Hex("key_package")).KeyPackage!;
        var welcome = MlsMessage.Decode(entry.Hex("welcome")).Welcome!;

        Assert.True(keyPackage.Verify(suite));
        Assert.True(keyPackage.LeafNode.Verify(suite));
        byte[] reference = keyPackage.Ref(suite);
        Assert.Contains(welcome.Secrets, s => s.NewMember.AsSpan().SequenceEqual(reference));
        Assert.False((keyPackage with { InitKey = [.. keyPackage.InitKey, 0] }).Verify(suite));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Leaf_node_signature_covers_group_id_and_leaf_index_for_commit_leaves(ushort suiteId)
    {
        var suite = CipherSuite.Get(suiteId);
        var keys = suite.GenerateSignatureKeyPair();
        byte[] groupId = [1, 2, 3];
        var leaf = UnsignedLeaf(keys.PublicKey, LeafNodeSource.Commit).Sign(suite, keys.PrivateKey, groupId, new LeafIndex(5));

        Assert.True(leaf.Verify(suite, groupId, new LeafIndex(5)));
        Assert.False(leaf.Verify(suite, groupId, new LeafIndex(4)));
        Assert.False(leaf.Verify(suite, [1, 2, 4], new LeafIndex(5)));
        Assert.Throws<ArgumentException>(() => leaf.Verify(suite));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Key_package_signed_by_its_leaf_key_verifies_and_tampering_breaks_it(ushort suiteId)
    {
        var suite = CipherSuite.Get(suiteId);
        var keys = suite.GenerateSignatureKeyPair();
        var leaf = UnsignedLeaf(keys.PublicKey, LeafNodeSource.KeyPackage).Sign(suite, keys.PrivateKey);
        var keyPackage = new KeyPackage(ProtocolVersion.Mls10, suiteId, [7, 7, 7], leaf, [], []).Sign(suite, keys.PrivateKey);

        Assert.True(leaf.Verify(suite));
        Assert.True(keyPackage.Verify(suite));
        Assert.False((keyPackage with { Extensions = [new Extension(0x0A0A, [])] }).Verify(suite));
        Assert.Equal(suite.MakeKeyPackageRef(keyPackage.ToBytes()), keyPackage.Ref(suite));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Group_info_signed_by_the_signer_verifies_with_its_key_only(ushort suiteId)
    {
        var suite = CipherSuite.Get(suiteId);
        var signer = suite.GenerateSignatureKeyPair();
        var other = suite.GenerateSignatureKeyPair();
        var context = new GroupContext(suiteId, [9], 3, new byte[suite.HashLength], new byte[suite.HashLength], []);
        var groupInfo = new GroupInfo(context, [], new byte[suite.HashLength], new LeafIndex(2), []).Sign(suite, signer.PrivateKey);

        Assert.True(groupInfo.Verify(suite, signer.PublicKey));
        Assert.False(groupInfo.Verify(suite, other.PublicKey));
        Assert.False((groupInfo with { Signer = new LeafIndex(3) }).Verify(suite, signer.PublicKey));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void External_proposal_is_signed_without_the_group_context(ushort suiteId)
    {
        var suite = CipherSuite.Get(suiteId);
        var keys = suite.GenerateSignatureKeyPair();
        var framed = FramedContent.ForProposal([4, 2], 11, Sender.External(0), [], new Remove(new LeafIndex(1)));
        var content = AuthenticatedContent.Sign(suite, WireFormat.MlsPublicMessage, framed, keys.PrivateKey, null);
        var message = PublicMessage.Create(content);

        Assert.Null(message.MembershipTag);
        Assert.True(message.ToAuthenticatedContent().Verify(suite, keys.PublicKey, null));
        Assert.Equal(suite.MakeProposalRef(content.ToBytes()), content.MakeProposalRef(suite));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Member_content_cannot_be_signed_without_the_group_context(ushort suiteId)
    {
        var suite = CipherSuite.Get(suiteId);
        var keys = suite.GenerateSignatureKeyPair();
        var framed = FramedContent.ForApplication([4, 2], 11, Sender.Member(new LeafIndex(0)), [], [1]);
        Assert.Throws<ArgumentException>(() => AuthenticatedContent.Sign(suite, WireFormat.MlsPrivateMessage, framed, keys.PrivateKey, null));
    }

    private static (CipherSuite Suite, System.Text.Json.JsonElement Entry, GroupContext Context) ProtectionVector(int index, ushort suiteId)
    {
        var entry = VectorFile.Load("message-protection")[index];
        var context = new GroupContext(
            suiteId,
            entry.Hex("group_id"),
            entry.GetProperty("epoch").GetUInt64(),
            entry.Hex("tree_hash"),
            entry.Hex("confirmed_transcript_hash"),
            []);
        return (CipherSuite.Get(suiteId), entry, context);
    }

    private static LeafNode UnsignedLeaf(byte[] signatureKey, LeafNodeSource source)
        => new(
            [1, 2, 3, 4],
            signatureKey,
            Credential.Basic("alice"u8.ToArray()),
            new Capabilities([ProtocolVersion.Mls10], [1], [], [], [CredentialType.Basic]),
            source,
            source == LeafNodeSource.KeyPackage ? new Lifetime(0, ulong.MaxValue) : null,
            source == LeafNodeSource.Commit ? new byte[32] : null,
            [],
            []);
}
