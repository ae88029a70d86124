// The compact binary encoding of the records the store encrypts: the TLS presentation language of
// RFC 9420 §2.1 (MLS variable-length vectors), with a version octet in front of every record.
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Client.Storage;

/// <summary>Field encodings shared by the store's records and the content envelope.</summary>
internal static class RecordCodec
{
    public static void WriteString(this TlsWriter w, string value) => w.WriteOpaque(Encoding.UTF8.GetBytes(value));

    public static string ReadString(this TlsReader r) => DecodeUtf8(r.ReadOpaqueMemory().Span);

    public static void WriteOptionalString(this TlsWriter w, string? value)
    {
        w.WriteBool(value is not null);
        if (value is not null)
        {
            w.WriteString(value);
        }
    }

    public static string? ReadOptionalString(this TlsReader r) => r.ReadBool() ? r.ReadString() : null;

    public static void WriteOptionalBytes(this TlsWriter w, byte[]? value)
    {
        w.WriteBool(value is not null);
        if (value is not null)
        {
            w.WriteOpaque(value);
        }
    }

    public static byte[]? ReadOptionalBytes(this TlsReader r) => r.ReadBool() ? r.ReadOpaque() : null;

    /// <summary>A time as signed milliseconds since the Unix epoch (UTC).</summary>
    public static void WriteTime(this TlsWriter w, DateTimeOffset value) => w.WriteUInt64(unchecked((ulong)value.ToUnixTimeMilliseconds()));

    public static DateTimeOffset ReadTime(this TlsReader r)
    {
        long ms = unchecked((long)r.ReadUInt64());
        if (ms < -62135596800000L || ms > 253402300799999L)
        {
            throw new MlsDecodeException("A time is out of range.");
        }
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

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

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new MlsDecodeException("A string is not valid UTF-8.");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
