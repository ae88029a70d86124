// RFC 9420 §2.1 and §6: malformed messages are rejected with MlsDecodeException.
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Messages;

public sealed class MessageDecodingTests
{
    private static byte[] VectorMessage(string field) => VectorFile.Load("messages")[0].Hex(field);

    public static IEnumerable<object[]> MessageFields()
        => new[] { "mls_welcome", "mls_group_info", "mls_key_package", "public_message_application",
                   "public_message_proposal", "public_message_commit", "private_message" }
            .Select(f => new object[] { f });

    [Theory]
    [MemberData(nameof(MessageFields))]
    public void Truncated_message_is_rejected(string field)
    {
        byte[] bytes = VectorMessage(field);
        foreach (int cut in new[] { 1, 2, bytes.Length / 2, bytes.Length - 1 })
        {
            Assert.Throws<MlsDecodeException>(() => MlsMessage.Decode(bytes.AsMemory(0, bytes.Length - cut)));
        }
    }

    [Theory]
    [MemberData(nameof(MessageFields))]
    public void Message_with_trailing_bytes_is_rejected(string field)
    {
        byte[] bytes = [.. VectorMessage(field), 0x00];
        Assert.Throws<MlsDecodeException>(() => MlsMessage.Decode(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(0xFFFF)]
    public void Message_with_a_protocol_version_other_than_mls10_is_rejected(int version)
    {
        byte[] bytes = VectorMessage("public_message_commit");
        bytes[0] = (byte)(version >> 8);
        bytes[1] = (byte)version;
        Assert.Throws<MlsDecodeException>(() => MlsMessage.Decode(bytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(0x0A0A)]
    public void Message_with_an_unknown_wire_format_is_rejected(int wireFormat)
    {
        byte[] bytes = VectorMessage("public_message_commit");
        bytes[2] = (byte)(wireFormat >> 8);
        bytes[3] = (byte)wireFormat;
        Assert.Throws<MlsDecodeException>(() => MlsMessage.Decode(bytes));
    }

    [Fact]
    public void Key_package_with_a_protocol_version_other_than_mls10_is_rejected()
    {
        byte[] bytes = VectorMessage("mls_key_package");
        bytes[5] = 2; // KeyPackage.version follows MLSMessage's version and wire format.
        Assert.Throws<MlsDecodeException>(() => MlsMessage.Decode(bytes));
    }

    [Fact]
    public void Private_message_content_with_zero_padding_decodes()
    {
        byte[] plaintext = [.. PlainApplicationContent(), 0, 0, 0, 0];
        var content = PrivateMessageContent.Decode(plaintext, ContentType.Application);
        Assert.Equal(4, content.PaddingLength);
        Assert.Equal(plaintext, content.ToBytes());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(299)]
    public void Private_message_content_with_nonzero_padding_is_rejected(int position)
    {
        byte[] plaintext = [.. PlainApplicationContent(), .. new byte[300]];
        plaintext[^(300 - position)] = 0x01;
        Assert.Throws<MlsDecodeException>(() => PrivateMessageContent.Decode(plaintext, ContentType.Application));
    }

    [Fact]
    public void Private_message_content_cut_inside_the_auth_data_is_rejected()
    {
        byte[] plaintext = PlainApplicationContent();
        Assert.Throws<MlsDecodeException>(() => PrivateMessageContent.Decode(plaintext.AsMemory(0, plaintext.Length - 1), ContentType.Application));
    }

    [Fact]
    public void Unknown_content_type_is_rejected()
    {
        var content = FramedContent.ForApplication([1, 2], 7, Sender.Member(new LeafIndex(1)), [], [9]);
        byte[] bytes = content.ToBytes();
        int at = 1 + 2 + 8 + 1 + 4 + 1; // group_id, epoch, sender, authenticated_data
        Assert.Equal((byte)ContentType.Application, bytes[at]);
        bytes[at] = 4;
        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(bytes, FramedContent.Decode));
    }

    [Fact]
    public void Unknown_sender_type_is_rejected()
    {
        var content = FramedContent.ForApplication([1, 2], 7, Sender.Member(new LeafIndex(1)), [], [9]);
        byte[] bytes = content.ToBytes();
        bytes[1 + 2 + 8] = 5;
        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(bytes, FramedContent.Decode));
    }

    [Fact]
    public void Unknown_proposal_type_is_rejected()
    {
        byte[] bytes = new Remove(new LeafIndex(3)).ToBytes();
        bytes[1] = 0x08;
        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(bytes, Proposal.Decode));
    }

    [Fact]
    public void Non_minimal_vector_length_is_rejected()
    {
        // ExternalInit with a one-byte kem_output whose length is written in two bytes.
        byte[] bytes = [0x00, 0x06, 0x40, 0x01, 0xAA];
        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(bytes, Proposal.Decode));
    }

    [Fact]
    public void Ratchet_tree_ending_in_a_blank_node_is_rejected()
    {
        byte[] bytes = VectorFile.Load("messages")[0].Hex("ratchet_tree");
        var nodes = RatchetTreeExtension.Decode(bytes);
        nodes.Add(null);
        Assert.Throws<MlsDecodeException>(() => RatchetTreeExtension.Decode(RatchetTreeExtension.Encode(nodes)));
    }

    [Fact]
    public void Commit_auth_data_without_a_confirmation_tag_cannot_be_encoded()
    {
        var commit = new Commit([], null);
        var framed = FramedContent.ForCommit([1], 0, Sender.Member(new LeafIndex(0)), [], commit);
        var content = new AuthenticatedContent(WireFormat.MlsPublicMessage, framed, new FramedContentAuthData([1, 2], null));
        Assert.Throws<InvalidOperationException>(() => content.ToBytes());
    }

    private static byte[] PlainApplicationContent()
        => TlsWriter.Encode(w =>
        {
            w.WriteOpaque([0x68, 0x69]);
            w.WriteOpaque([0x51, 0x52, 0x53]); // signature
        });
}
