using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Content;
using Parley.Mls.Codec;
using Xunit;

namespace Parley.Client.Tests;

public sealed class ContentEnvelopeTests
{
    private static readonly DateTimeOffset SentAt = new(2025, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);

    public static TheoryData<string> Kinds => new(Contents.Keys);

    private static readonly Dictionary<string, MessageContent> Contents = new()
    {
        ["text"] = new TextContent("Hello, wörld 👋"),
        ["empty text"] = new TextContent(""),
        ["reply"] = new ReplyContent("m-1", "agreed"),
        ["edit"] = new EditContent("m-1", "fixed typo"),
        ["delete"] = new DeleteContent("m-1"),
        ["reaction add"] = new ReactionContent("m-1", "👍"),
        ["reaction remove"] = new ReactionContent("m-1", "👍", Remove: true),
        ["delivery receipt"] = new DeliveryReceiptContent(["m-1", "m-2"]),
        ["read receipt"] = new ReadReceiptContent(["m-3"]),
        ["attachment"] = new AttachmentContent(new AttachmentReference("blob_42", 5_000_000, "image/png", "cat.png", 65536,
            Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Enumerable.Range(100, 32).Select(i => (byte)i).ToArray()), "my cat"),
        ["timer on"] = new DisappearingTimerContent(TimeSpan.FromDays(7)),
        ["timer off"] = new DisappearingTimerContent(null),
        ["conversation info"] = new ConversationInfoContent(ConversationKind.Group, "Book club"),
        ["channel history"] = new ChannelHistoryContent([
            new HistoryPost("alice", "device-1", new ContentEnvelope("m-1", SentAt, new TextContent("first")).Encode(), null),
            new HistoryPost("alice", "device-2", new ContentEnvelope("m-2", SentAt, new TextContent("second")).Encode(), "second (fixed)"),
        ]),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_round_trips(string kind)
    {
        var envelope = new ContentEnvelope("msg_" + kind.Replace(' ', '-'), SentAt, Contents[kind]);
        var decoded = ContentEnvelope.Decode(envelope.Encode());
        Assert.Equal(envelope, decoded);
        Assert.Equal(envelope.Content.Kind, decoded.Content.Kind);
    }

    [Fact]
    public void The_franking_key_round_trips_when_present()
    {
        var envelope = new ContentEnvelope("m1", SentAt, new TextContent("hi"), [9, 8, 7]);
        Assert.Equal(new byte[] { 9, 8, 7 }, ContentEnvelope.Decode(envelope.Encode()).FrankingKey);
        Assert.Null(ContentEnvelope.Decode(new ContentEnvelope("m1", SentAt, new TextContent("hi")).Encode()).FrankingKey);
    }

    [Fact]
    public void A_text_envelope_has_the_documented_bytes()
    {
        var envelope = new ContentEnvelope("m1", DateTimeOffset.FromUnixTimeMilliseconds(0x0102030405), new TextContent("hi"));
        Assert.Equal("00010001026D3100000001020304050302686900", Convert.ToHexString(envelope.Encode()));
    }

    [Fact]
    public void An_unknown_future_version_is_unsupported_not_an_error()
    {
        var w = new TlsWriter();
        w.WriteUInt16(2);
        w.WriteUInt16(1);
        w.WriteOpaque("m9"u8);
        w.WriteUInt64(1000);
        w.WriteBytes([0xFF, 0xFE, 0xFD]); // whatever version 2 puts here
        var decoded = ContentEnvelope.Decode(w.ToArray());
        Assert.Equal("m9", decoded.MessageId);
        var unsupported = Assert.IsType<UnsupportedContent>(decoded.Content);
        Assert.Equal(2, unsupported.Version);
        Assert.Contains("version 2", unsupported.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_kind_is_unsupported_not_an_error()
    {
        var decoded = ContentEnvelope.Decode(Raw(kind: 0x7777, content: [1, 2, 3]));
        var unsupported = Assert.IsType<UnsupportedContent>(decoded.Content);
        Assert.Equal(0x7777, unsupported.ContentType);
        Assert.Equal(1, unsupported.Version);
    }

    [Fact]
    public void A_malformed_body_of_a_known_kind_is_unsupported_not_an_error()
    {
        var decoded = ContentEnvelope.Decode(Raw(kind: (ushort)ContentKind.Reaction, content: [0x02, (byte)'m', (byte)'1']));
        Assert.IsType<UnsupportedContent>(decoded.Content);
        var badUtf8 = ContentEnvelope.Decode(Raw(kind: (ushort)ContentKind.Text, content: [0x02, 0xC3, 0x28]));
        Assert.IsType<UnsupportedContent>(badUtf8.Content);
    }

    [Fact]
    public void Fields_appended_by_a_later_revision_are_ignored()
    {
        byte[] content = [0x02, (byte)'h', (byte)'i', 0xAA, 0xBB];
        var decoded = ContentEnvelope.Decode(Raw((ushort)ContentKind.Text, content, trailer: [0x00, 0x42, 0x43]));
        Assert.Equal("hi", Assert.IsType<TextContent>(decoded.Content).Text);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x01, 0x05, (byte)'m' })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x01, 0x02, (byte)'m', (byte)'1', 0, 0, 0, 0, 0, 0, 0, 0, 0x00 })]
    public void An_unreadable_header_throws_a_typed_error(byte[] data)
        => Assert.Throws<EnvelopeFormatException>(() => ContentEnvelope.Decode(data));

    [Fact]
    public void An_invalid_message_id_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ContentEnvelope("has space", SentAt, new TextContent("x")).Encode());
        Assert.Throws<ArgumentException>(() => new ContentEnvelope(new string('a', 65), SentAt, new TextContent("x")).Encode());
        Assert.Throws<ArgumentException>(() => new ContentEnvelope("m1", SentAt, new ReplyContent("bad/id", "x")).Encode());
        Assert.Throws<EnvelopeFormatException>(() => ContentEnvelope.Decode(Raw(1, [0x00], messageId: "a b")));
    }

    [Fact]
    public void New_message_ids_are_valid_and_distinct()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => ContentEnvelope.NewMessageId()).ToList();
        Assert.All(ids, id => Assert.True(ContentEnvelope.IsValidMessageId(id)));
        Assert.Equal(100, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(22, id.Length));
    }

    [Fact]
    public void Unsupported_content_cannot_be_sent()
        => Assert.Throws<InvalidOperationException>(() => new ContentEnvelope("m1", SentAt, new UnsupportedContent(2, 1, "x")).Encode());

    [Fact]
    public void An_attachment_with_an_unknown_scheme_or_bad_key_size_is_unsupported()
    {
        var reference = new AttachmentReference("b", 1, "t", "f", 65536, new byte[32], new byte[32]);
        byte[] good = new ContentEnvelope("m1", SentAt, new AttachmentContent(reference)).Encode();
        var r = new TlsReader(good);
        r.ReadUInt16();
        r.ReadUInt16();
        r.ReadOpaque();
        r.ReadUInt64();
        byte[] content = r.ReadOpaque();
        // blob id "b" (2 bytes), size (8), type "t" (2), name "f" (2), chunk size (4), then the scheme byte.
        content[18] = 9;
        var decoded = ContentEnvelope.Decode(Raw((ushort)ContentKind.Attachment, content));
        Assert.IsType<UnsupportedContent>(decoded.Content);
    }

    private static byte[] Raw(ushort kind, byte[] content, byte[]? trailer = null, string messageId = "m1")
    {
        var w = new TlsWriter();
        w.WriteUInt16(1);
        w.WriteUInt16(kind);
        w.WriteOpaque(System.Text.Encoding.UTF8.GetBytes(messageId));
        w.WriteUInt64(1000);
        w.WriteOpaque(content);
        w.WriteBool(false);
        if (trailer is not null)
        {
            w.WriteBytes(trailer);
        }
        return w.ToArray();
    }
}
