// Field encodings of the content envelope, in the TLS presentation language of RFC 9420 §2.1
// (MLS variable-length vectors). The client's store records use the same encodings.
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>Strings, optional byte strings and times as the envelope encodes them.</summary>
public static class ContentCodec
{
    /// <summary>A UTF-8 string as <c>opaque&lt;V&gt;</c>.</summary>
    public static void WriteString(this TlsWriter w, string value) => w.WriteOpaque(Encoding.UTF8.GetBytes(value));

    /// <summary>Reads a string; invalid UTF-8 throws <see cref="MlsDecodeException"/>.</summary>
    public static string ReadString(this TlsReader r) => DecodeUtf8(r.ReadOpaqueMemory().Span);

    /// <summary><c>optional&lt;opaque&lt;V&gt;&gt;</c>.</summary>
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

    /// <summary>Strict UTF-8: invalid bytes throw <see cref="MlsDecodeException"/> rather than becoming U+FFFD.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes)
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
