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

    /// <summary>Signs <paramref name="prefix"/> || <paramref name="message"/>. The default joins them in a
    /// stack or pooled buffer; a scheme that hashes its input once streams them instead.</summary>
    public virtual byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message)
    {
        using var joined = new JoinedBytes(prefix, message, stackalloc byte[JoinedBytes.StackSize]);
        return Sign(privateKey, joined.Span);
    }

    /// <summary>Verifies a signature over <paramref name="prefix"/> || <paramref name="message"/>.</summary>
    public virtual bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        using var joined = new JoinedBytes(prefix, message, stackalloc byte[JoinedBytes.StackSize]);
        return Verify(publicKey, joined.Span, signature);
    }

    /// <summary>Disposes the imported keys a scheme keeps to speed up repeated use (see
    /// <see cref="ImportedKeyCache{T}"/>).</summary>
    public virtual void ClearKeyCache()
    {
    }
}
