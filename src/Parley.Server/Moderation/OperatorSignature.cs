// Parley server protocol §"Operator authentication" (docs/server-protocol.md).
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Server.Moderation;

/// <summary>The statement an operator request is signed over: <c>"Parley operator v1" || 0x00 || METHOD || 0x00 ||
/// path-and-query || 0x00 || unixSeconds || 0x00 || nonce || 0x00 || SHA-256(body)</c>, so a signature covers exactly
/// one request at one time and cannot be replayed for another.</summary>
public static class OperatorSignature
{
    /// <summary>Label that separates operator signatures from every other Parley signature.</summary>
    public const string Label = "Parley operator v1";

    /// <summary>Length of an Ed25519 public key or seed.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of the random request nonce, before base64url.</summary>
    public const int NonceLength = 16;

    private static readonly CipherSuite Ed25519Suite = CipherSuite.Get(1);

    /// <summary>The signed statement for one request.</summary>
    public static byte[] Message(string method, string pathAndQuery, long unixSeconds, string nonce, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        ArgumentNullException.ThrowIfNull(nonce);
        var w = new TlsWriter(128 + pathAndQuery.Length);
        w.WriteBytes(Encoding.ASCII.GetBytes(Label));
        w.WriteUInt8(0);
        w.WriteBytes(Encoding.ASCII.GetBytes(method.ToUpperInvariant()));
        w.WriteUInt8(0);
        w.WriteBytes(Encoding.UTF8.GetBytes(pathAndQuery));
        w.WriteUInt8(0);
        w.WriteBytes(Encoding.ASCII.GetBytes(unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        w.WriteUInt8(0);
        w.WriteBytes(Encoding.ASCII.GetBytes(nonce));
        w.WriteUInt8(0);
        w.WriteBytes(SHA256.HashData(body));
        return w.ToArray();
    }

    /// <summary>The <c>Authorization</c> header value for a request, signed with an operator key seed (clients and tests).</summary>
    public static string Header(ReadOnlySpan<byte> operatorSeed, string method, string pathAndQuery, long unixSeconds,
        string nonce, ReadOnlySpan<byte> body)
    {
        byte[] signature = Ed25519Suite.Sign(operatorSeed, Message(method, pathAndQuery, unixSeconds, nonce, body));
        return $"Operator {unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{nonce}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>Whether <paramref name="signature"/> is the operator key's Ed25519 signature of <paramref name="message"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> operatorKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => operatorKey.Length == KeyLength && Ed25519Suite.Verify(operatorKey, message, signature);

    /// <summary>The Ed25519 public key of an operator seed (used by tests and key generation).</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> operatorSeed) => Ed25519Suite.SignaturePublicKey(operatorSeed);
}
