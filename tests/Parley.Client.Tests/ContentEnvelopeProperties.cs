// The content envelope (docs/client-envelope.md; vectors as in RFC 9420 §2.1.2): for random envelopes of every
// content kind, decode(encode(x)) == x and encode(decode(b)) == b; an envelope the encoder accepts is one its
// decoder reads back unchanged (the encoder refuses the rest); damaged bytes never throw anything but
// EnvelopeFormatException.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

public sealed class ContentEnvelopeProperties
{
    private static readonly Gen<byte> Byte = Gen.Choose(0, 255).Select(i => (byte)i);

    private static readonly Gen<char> IdChar =
        Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".ToCharArray());

    private static readonly Gen<string> MessageId =
        from length in Gen.Frequency((4, Gen.Choose(1, 24)), (1, Gen.Elements(1, 63, ContentEnvelope.MaxMessageIdLength)))
        from chars in Gen.ArrayOf(IdChar, length)
        select new string(chars);

    // Any Unicode scalar value: ASCII, the rest of the BMP around the surrogates, and the supplementary planes (emoji).
    private static readonly Gen<string> Scalar =
        Gen.Frequency(
            (4, Gen.Choose(0x20, 0x7E)),
            (2, Gen.Choose(0, 0xD7FF)),
            (1, Gen.Choose(0xE000, 0xFFFF)),
            (2, Gen.Choose(0x10000, 0x10FFFF)))
        .Select(char.ConvertFromUtf32);

    private static readonly Gen<string> Text = Gen.ListOf(Scalar).Select(s => string.Concat(s));

    // Text of min to max UTF-16 code units: scalars while they fit, then ASCII up to the minimum.
    private static Gen<string> TextOfLength(int min, int max)
        => Gen.ListOf(Scalar).Select(scalars =>
        {
            var text = new System.Text.StringBuilder();
            foreach (string scalar in scalars)
            {
                if (text.Length + scalar.Length > max)
                {
                    break;
                }
                text.Append(scalar);
            }
            return text.ToString().PadRight(min, 'a');
        });

    private static readonly Gen<DateTimeOffset> SentAt =
        Gen.Frequency(
            (4, Gen.Choose(0, int.MaxValue).Select(s => 1_600_000_000_000L + s * 1000L + s % 1000)),
            (1, Gen.Elements(-62135596800000L, 0L, 253402300799999L)))
        .Select(DateTimeOffset.FromUnixTimeMilliseconds);

    private static readonly Gen<AttachmentReference> Attachment =
        from blobId in Text
        from size in Gen.Frequency((3, Gen.Choose(0, int.MaxValue).Select(i => (long)i)), (1, Gen.Elements(0L, long.MaxValue)))
        from contentType in Text
        from fileName in Text
        from chunkSize in Gen.Choose(AttachmentCipher.MinChunkSize, AttachmentCipher.MaxChunkSize)
        from key in Gen.ArrayOf(Byte, AttachmentCipher.KeySize)
        from digest in Gen.ArrayOf(Byte, AttachmentCipher.DigestSize)
        from plaintextDigest in Gen.OneOf(Gen.Constant<byte[]?>(null), Gen.ArrayOf(Byte, AttachmentCipher.DigestSize).Select(d => (byte[]?)d))
        from padded in Gen.Elements(false, true)
        select padded
            ? new AttachmentReference(blobId, Math.Min(size, long.MaxValue / 2), contentType, fileName, chunkSize, key, digest,
                plaintextDigest ?? new byte[AttachmentCipher.DigestSize], AttachmentCipher.SchemeId)
            : new AttachmentReference(blobId, size, contentType, fileName, chunkSize, key, digest, plaintextDigest);

    /// <summary>Content of every kind, with every field inside what the envelope can carry.</summary>
    private static readonly Gen<MessageContent> Content =
        Gen.OneOf(
            Text.Select(t => (MessageContent)new TextContent(t)),
            Gen.Zip(MessageId, Text, (id, t) => (MessageContent)new ReplyContent(id, t)),
            Gen.Zip(MessageId, Text, (id, t) => (MessageContent)new EditContent(id, t)),
            MessageId.Select(id => (MessageContent)new DeleteContent(id)),
            from target in MessageId
            from emoji in TextOfLength(1, 64)
            from remove in Gen.Elements(true, false)
            select (MessageContent)new ReactionContent(target, emoji, remove),
            Gen.ListOf(MessageId).Select(ids => (MessageContent)new DeliveryReceiptContent(ids.ToList())),
            Gen.ListOf(MessageId).Select(ids => (MessageContent)new ReadReceiptContent(ids.ToList())),
            Gen.Zip(Attachment, Text, (a, caption) => (MessageContent)new AttachmentContent(a, caption)),
            Gen.OneOf(
                Gen.Constant<TimeSpan?>(null),
                Gen.Choose(1, int.MaxValue).Select(s => (TimeSpan?)TimeSpan.FromSeconds(s)),
                Gen.Constant<TimeSpan?>(TimeSpan.FromSeconds(uint.MaxValue)))
                .Select(t => (MessageContent)new DisappearingTimerContent(t)),
            Gen.Zip(Gen.Elements(ConversationKind.Direct, ConversationKind.Group), Text,
                (kind, title) => (MessageContent)new ConversationInfoContent(kind, title)));

    private static readonly Gen<byte[]?> FrankingKey =
        Gen.OneOf(Gen.Constant<byte[]?>(null), Gen.ArrayOf(Byte, 32).Select(k => (byte[]?)k), Gen.ArrayOf(Byte).Select(k => (byte[]?)k));

    private static readonly Gen<ContentEnvelope> Envelope =
        from id in MessageId
        from sentAt in SentAt
        from content in Content
        from franking in FrankingKey
        select new ContentEnvelope(id, sentAt, content, franking);

    /// <summary>Content whose fields may lie outside what the envelope carries: reactions of any length, timers of
    /// any duration, unknown conversation kinds.</summary>
    private static readonly Gen<MessageContent> LooseContent =
        Gen.OneOf(
            from emoji in Gen.Frequency((1, Gen.Constant("")), (2, TextOfLength(60, 80)), (2, TextOfLength(1, 64)))
            select (MessageContent)new ReactionContent("m1", emoji),
            from ticks in Gen.Frequency(
                (2, Gen.Choose(int.MinValue, int.MaxValue).Select(i => (long)i * 1_000_000)),
                (2, Gen.Choose(int.MinValue, int.MaxValue).Select(i => (long)i * TimeSpan.TicksPerSecond)),
                (1, Gen.Elements(0L, -1L, TimeSpan.TicksPerSecond * ((long)uint.MaxValue + 1), TimeSpan.MaxValue.Ticks, TimeSpan.MinValue.Ticks)))
            select (MessageContent)new DisappearingTimerContent(TimeSpan.FromTicks(ticks)),
            from kind in Gen.Choose(0, 4)
            select (MessageContent)new ConversationInfoContent((ConversationKind)kind, "title"));

    [Property(MaxTest = 300)]
    public Property An_envelope_of_any_kind_decodes_to_what_was_encoded_and_encodes_back_to_the_same_bytes()
        => Prop.ForAll(Envelope.ToArbitrary(), envelope =>
        {
            byte[] bytes = envelope.Encode();
            var decoded = ContentEnvelope.Decode(bytes);
            Assert.IsNotType<UnsupportedContent>(decoded.Content);
            Assert.Equal(envelope, decoded);
            Assert.Equal(bytes, decoded.Encode());
        });

    [Property(MaxTest = 300)]
    public Property What_the_encoder_accepts_the_decoder_reads_back_unchanged()
        => Prop.ForAll(LooseContent.ToArbitrary(), content =>
        {
            var envelope = new ContentEnvelope("m2", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), content);
            byte[] bytes;
            try
            {
                bytes = envelope.Encode();
            }
            catch (ArgumentException)
            {
                return;
            }
            var decoded = ContentEnvelope.Decode(bytes);
            Assert.IsNotType<UnsupportedContent>(decoded.Content);
            Assert.Equal(envelope, decoded);
        });

    [Property(MaxTest = 300)]
    public Property Damaged_or_truncated_envelopes_decode_or_fail_with_one_exception_type()
        => Prop.ForAll((from e in Envelope from position in Gen.Choose(0, int.MaxValue) from value in Byte from cut in Gen.Choose(0, int.MaxValue)
                        select (e, position, value, cut)).ToArbitrary(), t =>
        {
            byte[] bytes = t.e.Encode();
            byte[] damaged = (byte[])bytes.Clone();
            damaged[t.position % damaged.Length] = t.value;
            foreach (var input in new[] { damaged, bytes[..(t.cut % bytes.Length)] })
            {
                try
                {
                    var decoded = ContentEnvelope.Decode(input);
                    Assert.True(ContentEnvelope.IsValidMessageId(decoded.MessageId));
                }
                catch (EnvelopeFormatException)
                {
                }
            }
        });

    // Found by the encoder property: each of these was sent, and every receiver showed "unsupported message"
    // (or, for a zero timer, turned the timer off).
    [Theory]
    [InlineData("reaction without emoji")]
    [InlineData("reaction of 65 characters")]
    [InlineData("zero timer")]
    [InlineData("negative timer")]
    [InlineData("timer of 1.5 s")]
    [InlineData("timer beyond 2^32 s")]
    [InlineData("unknown conversation kind")]
    public void Content_its_receivers_could_not_read_is_refused_when_encoded(string what)
    {
        MessageContent content = what switch
        {
            "reaction without emoji" => new ReactionContent("m1", ""),
            "reaction of 65 characters" => new ReactionContent("m1", new string('x', 65)),
            "zero timer" => new DisappearingTimerContent(TimeSpan.Zero),
            "negative timer" => new DisappearingTimerContent(TimeSpan.FromSeconds(-5)),
            "timer of 1.5 s" => new DisappearingTimerContent(TimeSpan.FromSeconds(1.5)),
            "timer beyond 2^32 s" => new DisappearingTimerContent(TimeSpan.FromSeconds(uint.MaxValue + 1.0)),
            _ => new ConversationInfoContent((ConversationKind)3, "title"),
        };
        Assert.Throws<ArgumentException>(() => new ContentEnvelope("m1", DateTimeOffset.UnixEpoch, content).Encode());
    }
}
