// The compact binary encoding of the records the store encrypts: the TLS presentation language of
// RFC 9420 §2.1 (MLS variable-length vectors), with a version octet in front of every record.
using Parley.Client.Conversations;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Client.Storage;

/// <summary>Field encodings of the store's records (besides those of <see cref="ContentCodec"/>).</summary>
internal static class RecordCodec
{
    public static void WriteOptionalString(this TlsWriter w, string? value)
    {
        w.WriteBool(value is not null);
        if (value is not null)
        {
            w.WriteString(value);
        }
    }

    public static string? ReadOptionalString(this TlsReader r) => r.ReadBool() ? r.ReadString() : null;

    public static void WriteOptionalTime(this TlsWriter w, DateTimeOffset? value)
    {
        w.WriteBool(value is not null);
        if (value is { } v)
        {
            w.WriteTime(v);
        }
    }

    public static DateTimeOffset? ReadOptionalTime(this TlsReader r) => r.ReadBool() ? r.ReadTime() : null;

    public static void WriteStrings(this TlsWriter w, IReadOnlyList<string> values) => w.WriteVector(values, (x, v) => x.WriteString(v));

    public static List<string> ReadStrings(this TlsReader r) => r.ReadList(x => x.ReadString());

    /// <summary>Reads an absolute URI; anything else is a damaged record (<see cref="MlsDecodeException"/>).</summary>
    public static Uri ReadAbsoluteUri(this TlsReader r)
        => Uri.TryCreate(r.ReadString(), UriKind.Absolute, out var uri) ? uri : throw new MlsDecodeException("A stored address is not an absolute URI.");

    /// <summary>Reads a count stored as uint32 that must fit an <see cref="int"/>.</summary>
    public static int ReadCount(this TlsReader r)
    {
        uint value = r.ReadUInt32();
        return value <= int.MaxValue ? (int)value : throw new MlsDecodeException($"A stored count of {value} is out of range.");
    }

    /// <summary>Reads a 16-byte conversation id as <c>opaque&lt;V&gt;</c>.</summary>
    public static ConversationId ReadConversationId(this TlsReader r)
    {
        byte[] bytes = r.ReadOpaque();
        return bytes.Length == 16 ? ConversationId.FromBytes(bytes) : throw new MlsDecodeException("A stored conversation id is not 16 bytes.");
    }

    /// <summary>Checks the leading record version octet.</summary>
    public static void ReadRecordVersion(this TlsReader r, byte expected, string record)
    {
        byte version = r.ReadUInt8();
        if (version != expected)
        {
            throw new StoreFormatException($"A {record} record has version {version}; this Parley reads version {expected}. Update Parley.");
        }
    }
}
