// Parley server protocol v1, "Operator authentication" (docs/server-protocol.md): what the operator key signs for
// one /v1/admin request. Built only here, for the operator's client that signs and the server that verifies, so
// the two cannot drift apart.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>The statement an operator request is signed over: <c>"Parley operator v1" || 0x00 || METHOD || 0x00 ||
/// path-and-query || 0x00 || unixSeconds || 0x00 || nonce || 0x00 || SHA-256(body)</c>, so a signature covers exactly
/// one request at one time and cannot be replayed for another.</summary>
public static class OperatorRequestStatement
{
    /// <summary>Label that separates operator signatures from every other Parley signature.</summary>
    public const string Label = "Parley operator v1";

    /// <summary>Length of the random request nonce, before base64url.</summary>
    public const int NonceSize = 16;

    /// <summary>The signed bytes for one request: <paramref name="method"/> (upper-cased), the path and query exactly
    /// as sent (UTF-8), the time in Unix seconds, the nonce as it appears in the header, and the body's hash.</summary>
    public static byte[] Create(string method, string pathAndQuery, long unixSeconds, string nonce, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        ArgumentNullException.ThrowIfNull(nonce);
        var w = new TlsWriter(128 + pathAndQuery.Length);
        Field(w, Encoding.ASCII.GetBytes(Label));
        Field(w, Encoding.ASCII.GetBytes(method.ToUpperInvariant()));
        Field(w, Encoding.UTF8.GetBytes(pathAndQuery));
        Field(w, Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture)));
        Field(w, Encoding.ASCII.GetBytes(nonce));
        w.WriteBytes(SHA256.HashData(body));
        return w.ToArray();
    }

    private static void Field(TlsWriter w, byte[] value)
    {
        w.WriteBytes(value);
        w.WriteUInt8(0);
    }
}
