// Parley server protocol §"Operator authentication" (docs/server-protocol.md).
using System.Buffers.Text;
using Parley.Content;
using Parley.Mls.Crypto;

namespace Parley.Server.Moderation;

/// <summary>Signing and checking operator requests; the signed statement itself is
/// <see cref="OperatorRequestStatement"/>, shared with the operator's client.</summary>
public static class OperatorSignature
{
    /// <summary>Length of an Ed25519 public key or seed.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of the random request nonce, before base64url.</summary>
    public const int NonceLength = OperatorRequestStatement.NonceSize;

    private static readonly CipherSuite Ed25519Suite = CipherSuite.Get(1);

    /// <summary>The <c>Authorization</c> header value for a request, signed with an operator key seed (clients and tests).</summary>
    public static string Header(ReadOnlySpan<byte> operatorSeed, string method, string pathAndQuery, long unixSeconds,
        string nonce, ReadOnlySpan<byte> body)
    {
        byte[] signature = Ed25519Suite.Sign(operatorSeed, OperatorRequestStatement.Create(method, pathAndQuery, unixSeconds, nonce, body));
        return $"Operator {unixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{nonce}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>Whether <paramref name="signature"/> is the operator key's Ed25519 signature of <paramref name="message"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> operatorKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => operatorKey.Length == KeyLength && Ed25519Suite.Verify(operatorKey, message, signature);

    /// <summary>The Ed25519 public key of an operator seed (used by tests and key generation).</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> operatorSeed) => Ed25519Suite.SignaturePublicKey(operatorSeed);
}
