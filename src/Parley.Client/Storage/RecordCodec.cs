// The compact binary encoding of the records the store encrypts: the TLS presentation language of
// RFC 9420 §2.1 (MLS variable-length vectors), with a version octet in front of every record.
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
