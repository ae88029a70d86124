// Parley server protocol v1, "GET /v1/ws" with the subprotocol parley.binary.v1 (docs/server-protocol.md, "Binary
// delivery frames"). Both directions are binary WebSocket frames; integers are big-endian.
//
//   push (server -> device)   0x01 | sequence uint64 | id_len uint8 | id | stamp_len uint16 | stamp | message (the rest)
//   ack  (device -> server)   0x02 | count uint8 (1..48) | count x (id_len uint8 | id)
//
// An id is a message id: 1 to 64 of A-Z a-z 0-9 '_' '-'. A push without a franking stamp has stamp_len 0; its message
// is never empty. Nothing may follow the last id of an ack.
using System.Buffers.Binary;
using System.Text;

namespace Parley.Content;

/// <summary>The binary frames of the delivery WebSocket: a pushed mailbox entry and a batch of acknowledgements, the same
/// contents as the JSON frames without JSON or base64.</summary>
public static class DeliveryFrame
{
    /// <summary>The WebSocket subprotocol a device asks for to get binary frames; without it the connection speaks JSON.</summary>
    public const string SubProtocol = "parley.binary.v1";

    /// <summary>The first byte of a pushed mailbox entry.</summary>
    public const byte PushType = 0x01;

    /// <summary>The first byte of an acknowledgement.</summary>
    public const byte AckType = 0x02;

    /// <summary>The most ids one acknowledgement carries (as in the JSON frame).</summary>
    public const int MaxAckIds = 48;

    /// <summary>The longest message id.</summary>
    public const int MaxIdLength = 64;

    private const int PushHeader = 1 + 8 + 1 + 2;

    /// <summary>A pushed mailbox entry: <paramref name="Sequence"/> orders the mailbox, <paramref name="Id"/> is what the
    /// acknowledgement names, <paramref name="Message"/> the MLSMessage bytes, <paramref name="Stamp"/> the franking stamp or
    /// null.</summary>
    /// <param name="Sequence">The entry's position in the mailbox.</param>
    /// <param name="Id">The sender's id for the message.</param>
    /// <param name="Message">The MLSMessage bytes.</param>
    /// <param name="Stamp">The server's franking stamp for this copy, or null.</param>
    public sealed record Push(long Sequence, string Id, ReadOnlyMemory<byte> Message, byte[]? Stamp);

    /// <summary>Whether <paramref name="id"/> is a well-formed message id (1 to 64 of A–Z a–z 0–9 '_' '-').</summary>
    public static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxIdLength)
        {
            return false;
        }
        foreach (char c in id)
        {
            if (!IsIdChar(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The length of the push frame for an entry with these parts.</summary>
    public static int PushLength(int idLength, int stampLength, int messageLength) => PushHeader + idLength + stampLength + messageLength;

    /// <summary>Writes the push frame of an entry into <paramref name="frame"/>, exactly <see cref="PushLength"/> bytes long.
    /// The id must be valid, the stamp shorter than 64 KiB and the message not empty.</summary>
    public static void WritePush(Span<byte> frame, long sequence, string id, ReadOnlySpan<byte> message, ReadOnlySpan<byte> stamp)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValidId(id) || stamp.Length > ushort.MaxValue || message.IsEmpty || sequence < 0)
        {
            throw new ArgumentException("A pushed entry needs a valid id, a stamp under 64 KiB, a message and a sequence of 0 or more.");
        }
        if (frame.Length != PushLength(id.Length, stamp.Length, message.Length))
        {
            throw new ArgumentException("The frame is not the entry's push length.", nameof(frame));
        }
        frame[0] = PushType;
        BinaryPrimitives.WriteInt64BigEndian(frame[1..], sequence);
        frame[9] = (byte)id.Length;
        int at = 10 + Encoding.ASCII.GetBytes(id, frame[10..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[at..], (ushort)stamp.Length);
        at += 2;
        stamp.CopyTo(frame[at..]);
        message.CopyTo(frame[(at + stamp.Length)..]);
    }

    /// <summary>The push frame of an entry.</summary>
    public static byte[] EncodePush(long sequence, string id, ReadOnlySpan<byte> message, ReadOnlySpan<byte> stamp)
    {
        ArgumentNullException.ThrowIfNull(id);
        var frame = new byte[PushLength(id.Length, stamp.Length, message.Length)];
        WritePush(frame, sequence, id, message, stamp);
        return frame;
    }

    /// <summary>The entry a push frame carries, or null when <paramref name="frame"/> is not a well-formed push (another type,
    /// a negative sequence, a bad id, a stamp longer than the frame, no message). The message is a slice of
    /// <paramref name="frame"/>.</summary>
    public static Push? DecodePush(ReadOnlyMemory<byte> frame)
    {
        ReadOnlySpan<byte> span = frame.Span;
        if (span.Length < PushHeader || span[0] != PushType)
        {
            return null;
        }
        long sequence = BinaryPrimitives.ReadInt64BigEndian(span[1..]);
        int idLength = span[9];
        if (sequence < 0 || span.Length < PushHeader + idLength || ReadId(span.Slice(10, idLength)) is not { } id)
        {
            return null;
        }
        int at = 10 + idLength;
        int stampLength = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
        at += 2;
        if (span.Length - at <= stampLength)
        {
            // The stamp runs past the frame, or leaves no message.
            return null;
        }
        byte[]? stamp = stampLength == 0 ? null : span.Slice(at, stampLength).ToArray();
        return new Push(sequence, id, frame[(at + stampLength)..], stamp);
    }

    /// <summary>The acknowledgement frame of 1 to <see cref="MaxAckIds"/> valid ids.</summary>
    public static byte[] EncodeAck(IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count is 0 or > MaxAckIds)
        {
            throw new ArgumentException($"An acknowledgement names 1 to {MaxAckIds} ids.", nameof(ids));
        }
        int length = 2;
        foreach (string id in ids)
        {
            if (!IsValidId(id))
            {
                throw new ArgumentException("An acknowledgement names only valid message ids.", nameof(ids));
            }
            length += 1 + id.Length;
        }
        var frame = new byte[length];
        frame[0] = AckType;
        frame[1] = (byte)ids.Count;
        int at = 2;
        foreach (string id in ids)
        {
            frame[at++] = (byte)id.Length;
            at += Encoding.ASCII.GetBytes(id, frame.AsSpan(at));
        }
        return frame;
    }

    /// <summary>The ids an acknowledgement frame names, or null when <paramref name="frame"/> is not a well-formed
    /// acknowledgement (another type, no ids or more than <see cref="MaxAckIds"/>, a bad id, bytes left over).</summary>
    public static IReadOnlyList<string>? DecodeAck(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 2 || frame[0] != AckType || frame[1] is 0 or > MaxAckIds)
        {
            return null;
        }
        var ids = new string[frame[1]];
        int at = 2;
        for (int i = 0; i < ids.Length; i++)
        {
            if (at >= frame.Length)
            {
                return null;
            }
            int length = frame[at++];
            if (frame.Length - at < length || ReadId(frame.Slice(at, length)) is not { } id)
            {
                return null;
            }
            ids[i] = id;
            at += length;
        }
        return at == frame.Length ? ids : null;
    }

    private static string? ReadId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes.Length > MaxIdLength)
        {
            return null;
        }
        foreach (byte b in bytes)
        {
            if (!IsIdChar((char)b))
            {
                return null;
            }
        }
        return Encoding.ASCII.GetString(bytes);
    }

    private static bool IsIdChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-';
}
