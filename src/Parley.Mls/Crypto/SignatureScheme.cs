// RFC 9420 §5.1.2 (signature schemes of the cipher suites) and §5.1.1 (key serialization).
namespace Parley.Mls.Crypto;

/// <summary>A signature algorithm with keys in the serialization MLS uses. Verification of
/// malformed keys or signatures returns false, never throws.</summary>
internal abstract class SignatureScheme
{
    /// <summary>The TLS SignatureScheme code point (e.g. 0x0807 for ed25519).</summary>
    public abstract ushort Id { get; }

    public abstract SignatureKeyPair GenerateKeyPair();

    /// <summary>The public key of a serialized private key; throws on an invalid private key.</summary>
    public abstract byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey);

    public abstract byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message);

    public abstract bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);
}
