// RFC 9420 §6.1-§6.3: the message-protection test vectors. For each of a proposal, a commit and
// application data sent by leaf 1 of a two-member group: the vector's public and private messages
// unprotect to the raw content, and content we protect ourselves unprotects to the same.
using System.Text.Json;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Framing;

public sealed class MessageProtectionVectorTests
{
    private static readonly LeafIndex SenderLeaf = new(1);

    public static IEnumerable<object[]> Entries() => VectorFile.Cases("message-protection");

    [Fact]
    public void Every_vector_entry_has_an_implemented_cipher_suite()
    {
        Assert.All(VectorFile.Load("message-protection"),
            e => Assert.True(CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _)));
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Vector_proposal_unprotects_and_our_own_protection_round_trips(int index, ushort suiteId)
    {
        var v = Load(index, suiteId);
        var proposal = TlsReader.Decode(v.Entry.Hex("proposal"), Proposal.Decode);

        var fromPublic = UnprotectVectorPublic(v, "proposal_pub");
        Assert.Equal(proposal, fromPublic.Content.Proposal);
        var fromPrivate = UnprotectVectorPrivate(v, "proposal_priv");
        Assert.Equal(proposal, fromPrivate.Content.Proposal);

        var framed = FramedContent.ForProposal(v.Context.GroupId, v.Context.Epoch, Sender.Member(SenderLeaf), [], proposal);
        ProtectAndUnprotectPublic(v, framed, confirmationTag: null, expectedWire: v.Entry.Hex("proposal_pub"));
        ProtectAndUnprotectPrivate(v, framed, confirmationTag: null);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Vector_commit_unprotects_and_our_own_protection_round_trips(int index, ushort suiteId)
    {
        var v = Load(index, suiteId);
        var commit = TlsReader.Decode(v.Entry.Hex("commit"), Commit.Decode);

        var fromPublic = UnprotectVectorPublic(v, "commit_pub");
        Assert.Equal(commit, fromPublic.Content.Commit);
        Assert.NotNull(fromPublic.Auth.ConfirmationTag);
        var fromPrivate = UnprotectVectorPrivate(v, "commit_priv");
        Assert.Equal(commit, fromPrivate.Content.Commit);
        Assert.NotNull(fromPrivate.Auth.ConfirmationTag);

        // The confirmation tag is opaque to framing; reuse the vector's.
        var framed = FramedContent.ForCommit(v.Context.GroupId, v.Context.Epoch, Sender.Member(SenderLeaf), [], commit);
        ProtectAndUnprotectPublic(v, framed, fromPublic.Auth.ConfirmationTag, expectedWire: v.Entry.Hex("commit_pub"));
        ProtectAndUnprotectPrivate(v, framed, fromPublic.Auth.ConfirmationTag);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Vector_application_data_unprotects_and_our_own_protection_round_trips(int index, ushort suiteId)
    {
        var v = Load(index, suiteId);
        byte[] application = v.Entry.Hex("application");

        var fromPrivate = UnprotectVectorPrivate(v, "application_priv");
        Assert.Equal(application, fromPrivate.Content.ApplicationData);

        var framed = FramedContent.ForApplication(v.Context.GroupId, v.Context.Epoch, Sender.Member(SenderLeaf), [], application);
        Assert.Throws<ArgumentException>(
            () => MessageProtection.Sign(v.Suite, WireFormat.MlsPublicMessage, framed, v.SignaturePriv, v.Context));
        ProtectAndUnprotectPrivate(v, framed, confirmationTag: null);
    }

    private static AuthenticatedContent UnprotectVectorPublic(Vector v, string field)
    {
        var message = MlsMessage.Decode(v.Entry.Hex(field)).PublicMessage!;
        var content = MessageProtection.UnprotectPublic(v.Suite, message, v.Context, v.MembershipKey, IsMember);
        MessageProtection.VerifySignature(v.Suite, content, v.SignaturePub, v.Context);
        Assert.Equal(WireFormat.MlsPublicMessage, content.WireFormat);
        Assert.Equal(Sender.Member(SenderLeaf), content.Content.Sender);
        return content;
    }

    private static AuthenticatedContent UnprotectVectorPrivate(Vector v, string field)
    {
        var message = MlsMessage.Decode(v.Entry.Hex(field)).PrivateMessage!;
        using var tree = new SecretTree(v.Suite, v.EncryptionSecret, 2);
        var result = MessageProtection.UnprotectPrivate(v.Suite, message, v.Context, tree, v.SenderDataSecret, IsMember);
        MessageProtection.VerifySignature(v.Suite, result.Content, v.SignaturePub, v.Context);
        Assert.Equal(SenderLeaf, result.Sender);
        Assert.Equal(WireFormat.MlsPrivateMessage, result.Content.WireFormat);
        Assert.Equal(Sender.Member(SenderLeaf), result.Content.Content.Sender);
        Assert.Equal(message.AuthenticatedData, result.Content.Content.AuthenticatedData);
        return result.Content;
    }

    private static void ProtectAndUnprotectPublic(Vector v, FramedContent framed, byte[]? confirmationTag, byte[] expectedWire)
    {
        var signed = MessageProtection.Sign(v.Suite, WireFormat.MlsPublicMessage, framed, v.SignaturePriv, v.Context);
        if (confirmationTag is not null)
        {
            signed = signed.WithConfirmationTag(confirmationTag);
        }
        var message = MessageProtection.ProtectPublic(v.Suite, signed, v.Context, v.MembershipKey);
        byte[] wire = new MlsMessage(message).ToBytes();
        if (HasDeterministicSignatures(v.Suite.Id))
        {
            // Same key, same content, same signature: the whole message must match the vector's.
            Assert.Equal(expectedWire, wire);
        }

        var received = MlsMessage.Decode(wire).PublicMessage!;
        var content = MessageProtection.UnprotectPublic(v.Suite, received, v.Context, v.MembershipKey, IsMember);
        MessageProtection.VerifySignature(v.Suite, content, v.SignaturePub, v.Context);
        Assert.Equal(signed, content);
    }

    private static void ProtectAndUnprotectPrivate(Vector v, FramedContent framed, byte[]? confirmationTag)
    {
        var signed = MessageProtection.Sign(v.Suite, WireFormat.MlsPrivateMessage, framed, v.SignaturePriv, v.Context);
        if (confirmationTag is not null)
        {
            signed = signed.WithConfirmationTag(confirmationTag);
        }
        using var senderTree = new SecretTree(v.Suite, v.EncryptionSecret, 2);
        using var receiverTree = new SecretTree(v.Suite, v.EncryptionSecret, 2);

        var message = MessageProtection.ProtectPrivate(v.Suite, signed, senderTree, v.SenderDataSecret);
        byte[] wire = new MlsMessage(message).ToBytes();

        var received = MlsMessage.Decode(wire).PrivateMessage!;
        var result = MessageProtection.UnprotectPrivate(v.Suite, received, v.Context, receiverTree, v.SenderDataSecret, IsMember);
        MessageProtection.VerifySignature(v.Suite, result.Content, v.SignaturePub, v.Context);
        Assert.Equal(SenderLeaf, result.Sender);
        Assert.Equal(0u, result.Generation);
        Assert.Equal(signed, result.Content);
    }

    private static bool IsMember(LeafIndex leaf) => leaf.Value < 2;

    // EdDSA (Ed25519 in suites 1 and 3, Ed448 in 4 and 6) signs deterministically; ECDSA does not.
    private static bool HasDeterministicSignatures(ushort suiteId) => suiteId is 1 or 3 or 4 or 6;

    private static Vector Load(int index, ushort suiteId)
    {
        var e = VectorFile.Load("message-protection")[index];
        Assert.Equal(suiteId, e.GetProperty("cipher_suite").GetUInt16());
        var suite = CipherSuite.Get(suiteId);
        var context = new GroupContext(suiteId, e.Hex("group_id"), e.GetProperty("epoch").GetUInt64(),
            e.Hex("tree_hash"), e.Hex("confirmed_transcript_hash"), []);
        return new Vector(e, suite, context, e.Hex("signature_priv"), e.Hex("signature_pub"),
            e.Hex("encryption_secret"), e.Hex("sender_data_secret"), e.Hex("membership_key"));
    }

    private sealed record Vector(
        JsonElement Entry,
        CipherSuite Suite,
        GroupContext Context,
        byte[] SignaturePriv,
        byte[] SignaturePub,
        byte[] EncryptionSecret,
        byte[] SenderDataSecret,
        byte[] MembershipKey);
}
