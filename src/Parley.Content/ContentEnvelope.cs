// The versioned content envelope inside Parley's MLS application messages (docs/client-envelope.md).
//
//   struct {
//       uint16 version;                          // 1
//       uint16 content_type;                     // ContentKind
//       opaque message_id<V>;                    // 1..64 of A-Z a-z 0-9 _ -
//       uint64 sent_at;                          // sender's clock, ms since the Unix epoch
//       opaque content<V>;                       // the kind's own struct
//       optional<opaque franking_key<V>>;        // 32 bytes; the last field of a franked envelope (Franking)
//   } ContentEnvelope;                           // readers ignore bytes after the fields they know
//
// Vectors are MLS variable-length vectors (RFC 9420 §2.1.2). Every version keeps the first four fields.
using System.Security.Cryptography;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>One message's content as sent inside an MLS application message: a version, the sender's
/// message id (which replies, edits, reactions and receipts refer to), the sender's time, the content,
/// and the one-time franking key (see <see cref="Franking"/>). Decoding never fails on a newer version or an
/// unknown kind: those come back as <see cref="UnsupportedContent"/>.</summary>
public sealed record ContentEnvelope(string MessageId, DateTimeOffset SentAt, MessageContent Content, byte[]? FrankingKey = null)
{
    /// <summary>The version this code writes and fully reads.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>Longest message id, in characters.</summary>
    public const int MaxMessageIdLength = 64;

    /// <summary>Longest reaction, in UTF-16 code units.</summary>
    public const int MaxEmojiLength = 64;

    /// <summary>A new random message id: 16 random bytes in unpadded base64url (22 characters).</summary>
    public static string NewMessageId()
        => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="id"/> is 1-64 characters of A-Z a-z 0-9 _ - (the server's rule for message ids).</summary>
    public static bool IsValidMessageId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxMessageIdLength)
        {
            return false;
        }
        foreach (char c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Encodes the envelope (version <see cref="CurrentVersion"/>).</summary>
    public byte[] Encode()
    {
        if (!IsValidMessageId(MessageId))
        {
            throw new ArgumentException("A message id is 1-64 characters of A-Z a-z 0-9 _ -.", nameof(MessageId));
        }
        if (Content is UnsupportedContent)
        {
            throw new InvalidOperationException("Unsupported content cannot be sent.");
        }
        var w = new TlsWriter(64);
        w.WriteUInt16(CurrentVersion);
        w.WriteUInt16((ushort)Content.Kind);
        w.WriteString(MessageId);
        w.WriteTime(SentAt);
        w.WriteVector(x => EncodeContent(x, Content));
        w.WriteOptionalBytes(FrankingKey);
        return w.ToArray();
    }

    /// <summary>Decodes an envelope. A newer version, an unknown kind or a malformed content body yields
    /// <see cref="UnsupportedContent"/>; only an unreadable header throws <see cref="EnvelopeFormatException"/>.</summary>
    public static ContentEnvelope Decode(ReadOnlyMemory<byte> data)
    {
        var r = new TlsReader(data);
        ushort version, kind;
        string messageId;
        DateTimeOffset sentAt;
        ReadOnlyMemory<byte> content;
        try
        {
            version = r.ReadUInt16();
            kind = r.ReadUInt16();
            messageId = r.ReadString();
            sentAt = r.ReadTime();
            content = version == CurrentVersion ? r.ReadOpaqueMemory() : default;
        }
        catch (MlsDecodeException e)
        {
            throw new EnvelopeFormatException("The envelope header is malformed.", e);
        }
        if (version == 0)
        {
            throw new EnvelopeFormatException("Envelope version 0 does not exist.");
        }
        if (!IsValidMessageId(messageId))
        {
            throw new EnvelopeFormatException("The envelope's message id is not valid.");
        }
        if (version != CurrentVersion)
        {
            return new ContentEnvelope(messageId, sentAt, new UnsupportedContent(version, kind, $"envelope version {version} is newer than this Parley"));
        }
        byte[]? franking = null;
        try
        {
            franking = r.ReadOptionalBytes();
        }
        catch (MlsDecodeException)
        {
            // The field is optional; a malformed one is dropped here (the receiver's franking check then refuses the message).
        }
        MessageContent body;
        try
        {
            body = DecodeContent((ContentKind)kind, new TlsReader(content));
        }
        catch (MlsDecodeException e)
        {
            body = new UnsupportedContent(version, kind, "malformed content: " + e.Message);
        }
        catch (ArgumentException e)
        {
            body = new UnsupportedContent(version, kind, "invalid content: " + e.Message);
        }
        return new ContentEnvelope(messageId, sentAt, body, franking);
    }

    public bool Equals(ContentEnvelope? other)
        => other is not null && MessageId == other.MessageId && SentAt == other.SentAt && ContentEquals(Content, other.Content)
           && (FrankingKey is null ? other.FrankingKey is null
               : other.FrankingKey is not null && FrankingKey.AsSpan().SequenceEqual(other.FrankingKey));

    public override int GetHashCode() => HashCode.Combine(MessageId, SentAt, Content.Kind);

    private static bool ContentEquals(MessageContent a, MessageContent b) => (a, b) switch
    {
        (DeliveryReceiptContent x, DeliveryReceiptContent y) => x.Targets.SequenceEqual(y.Targets),
        (ReadReceiptContent x, ReadReceiptContent y) => x.Targets.SequenceEqual(y.Targets),
        (ChannelHistoryContent x, ChannelHistoryContent y) => x.Posts.Count == y.Posts.Count && x.Posts.Zip(y.Posts).All(p =>
            p.First.Sender == p.Second.Sender && p.First.SenderDevice == p.Second.SenderDevice && p.First.EditedText == p.Second.EditedText
            && p.First.Envelope.AsSpan().SequenceEqual(p.Second.Envelope)),
        _ => a.Equals(b),
    };

    private static void EncodeContent(TlsWriter w, MessageContent content)
    {
        switch (content)
        {
            case TextContent c:
                w.WriteString(c.Text);
                break;
            case ReplyContent c:
                WriteTarget(w, c.InReplyTo);
                w.WriteString(c.Text);
                break;
            case EditContent c:
                WriteTarget(w, c.Target);
                w.WriteString(c.Text);
                break;
            case DeleteContent c:
                WriteTarget(w, c.Target);
                break;
            case ReactionContent c:
                // What the decoder accepts; anything else would reach every receiver as an unsupported message.
                if (c.Emoji.Length is 0 or > MaxEmojiLength)
                {
                    throw new ArgumentException($"A reaction is 1-{MaxEmojiLength} characters.", nameof(content));
                }
                WriteTarget(w, c.Target);
                w.WriteString(c.Emoji);
                w.WriteUInt8(c.Remove ? (byte)2 : (byte)1);
                break;
            case DeliveryReceiptContent c:
                WriteTargets(w, c.Targets);
                break;
            case ReadReceiptContent c:
                WriteTargets(w, c.Targets);
                break;
            case AttachmentContent c:
                var a = c.Attachment;
                w.WriteString(a.BlobId);
                w.WriteUInt64(checked((ulong)a.Size));
                w.WriteString(a.ContentType);
                w.WriteString(a.FileName);
                w.WriteUInt32(checked((uint)a.ChunkSize));
                w.WriteUInt8(a.Scheme);
                w.WriteOpaque(a.Key);
                w.WriteOpaque(a.Digest);
                w.WriteString(c.Caption);
                if (a.PlaintextDigest is { } plaintextDigest)
                {
                    // Appended later in version 1: older readers ignore it, newer ones accept its absence.
                    w.WriteOpaque(plaintextDigest);
                }
                break;
            case DisappearingTimerContent c:
                // Whole seconds from 1 to 2^32 - 1: 0 means "off", and a fraction would be cut off on the wire.
                if (c.Timer is { } t && (t.Ticks <= 0 || t.Ticks % TimeSpan.TicksPerSecond != 0 || t.TotalSeconds > uint.MaxValue))
                {
                    throw new ArgumentException("A disappearing-message timer is a whole number of seconds from 1 to 2^32 - 1.", nameof(content));
                }
                w.WriteUInt32(c.Timer is { } timer ? (uint)timer.TotalSeconds : 0);
                break;
            case ConversationInfoContent c:
                if (c.ConversationKind is not (ConversationKind.Direct or ConversationKind.Group))
                {
                    throw new ArgumentException($"Conversation kind {(byte)c.ConversationKind} is unknown.", nameof(content));
                }
                w.WriteUInt8((byte)c.ConversationKind);
                w.WriteString(c.Title);
                break;
            case ChannelHistoryContent c:
                w.WriteVector(c.Posts, (inner, post) =>
                {
                    inner.WriteString(post.Sender);
                    inner.WriteString(post.SenderDevice);
                    inner.WriteOpaque(post.Envelope);
                    inner.WriteBool(post.EditedText is not null);
                    if (post.EditedText is not null)
                    {
                        inner.WriteString(post.EditedText);
                    }
                });
                break;
            default:
                throw new ArgumentException($"Content of type {content.GetType().Name} cannot be encoded.", nameof(content));
        }
    }

    private static MessageContent DecodeContent(ContentKind kind, TlsReader r)
    {
        // Bytes after the fields known here are ignored: later revisions of version 1 may append optional fields.
        switch (kind)
        {
            case ContentKind.Text:
                return new TextContent(r.ReadString());
            case ContentKind.Reply:
                return new ReplyContent(ReadTarget(r), r.ReadString());
            case ContentKind.Edit:
                return new EditContent(ReadTarget(r), r.ReadString());
            case ContentKind.Delete:
                return new DeleteContent(ReadTarget(r));
            case ContentKind.Reaction:
            {
                string target = ReadTarget(r);
                string emoji = r.ReadString();
                byte action = r.ReadUInt8();
                if (action is not (1 or 2) || emoji.Length is 0 or > MaxEmojiLength)
                {
                    throw new MlsDecodeException("A reaction needs an emoji of 1-64 characters and action 1 (add) or 2 (remove).");
                }
                return new ReactionContent(target, emoji, action == 2);
            }
            case ContentKind.DeliveryReceipt:
                return new DeliveryReceiptContent(ReadTargets(r));
            case ContentKind.ReadReceipt:
                return new ReadReceiptContent(ReadTargets(r));
            case ContentKind.Attachment:
            {
                string blobId = r.ReadString();
                ulong size = r.ReadUInt64();
                string contentType = r.ReadString();
                string fileName = r.ReadString();
                uint chunkSize = r.ReadUInt32();
                byte scheme = r.ReadUInt8();
                byte[] key = r.ReadOpaque();
                byte[] digest = r.ReadOpaque();
                string caption = r.ReadString();
                byte[]? plaintextDigest = r.AtEnd ? null : r.ReadOpaque();
                if (!AttachmentCipher.IsKnownScheme(scheme))
                {
                    throw new MlsDecodeException($"Attachment encryption scheme {scheme} is unknown.");
                }
                // A size above long.MaxValue or a chunk size above int.MaxValue wraps negative and is refused below.
                var reference = new AttachmentReference(blobId, unchecked((long)size), contentType, fileName, unchecked((int)chunkSize), key, digest,
                    plaintextDigest, scheme);
                if (!reference.IsWellFormed)
                {
                    throw new MlsDecodeException("The attachment reference has an invalid size, chunk size, key or digest.");
                }
                return new AttachmentContent(reference, caption);
            }
            case ContentKind.DisappearingTimer:
            {
                uint seconds = r.ReadUInt32();
                return new DisappearingTimerContent(seconds == 0 ? null : TimeSpan.FromSeconds(seconds));
            }
            case ContentKind.ConversationInfo:
            {
                byte conversationKind = r.ReadUInt8();
                if (conversationKind is not ((byte)ConversationKind.Direct or (byte)ConversationKind.Group))
                {
                    throw new MlsDecodeException($"Conversation kind {conversationKind} is unknown.");
                }
                return new ConversationInfoContent((ConversationKind)conversationKind, r.ReadString());
            }
            case ContentKind.ChannelHistory:
                return new ChannelHistoryContent(r.ReadList(inner => new HistoryPost(inner.ReadString(), inner.ReadString(), inner.ReadOpaque(),
                    inner.ReadBool() ? inner.ReadString() : null)));
            default:
                return new UnsupportedContent(CurrentVersion, (ushort)kind, $"content type {(ushort)kind} is unknown to this Parley");
        }
    }

    private static void WriteTarget(TlsWriter w, string target)
    {
        if (!IsValidMessageId(target))
        {
            throw new ArgumentException("A target message id is 1-64 characters of A-Z a-z 0-9 _ -.", nameof(target));
        }
        w.WriteString(target);
    }

    private static string ReadTarget(TlsReader r)
    {
        string target = r.ReadString();
        return IsValidMessageId(target) ? target : throw new MlsDecodeException("A target message id is not valid.");
    }

    private static void WriteTargets(TlsWriter w, IReadOnlyList<string> targets)
        => w.WriteVector(targets, WriteTarget);

    private static List<string> ReadTargets(TlsReader r) => r.ReadList(ReadTarget);
}

/// <summary>The bytes are not a Parley content envelope (its header cannot be read).</summary>
public sealed class EnvelopeFormatException : Exception
{
    public EnvelopeFormatException(string message) : base(message) { }

    public EnvelopeFormatException(string message, Exception inner) : base(message, inner) { }
}
