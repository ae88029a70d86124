// RFC 9420 §5.1 and §17.1: a cipher suite assembled from a KDF (with its hash and HMAC), an AEAD,
// an HPKE configuration and a signature scheme.
namespace Parley.Mls.Crypto;

/// <summary>The cipher suites of RFC 9420 §17.1, each a combination of the primitives in this folder.</summary>
internal sealed class StandardCipherSuite : CipherSuite
{
    private readonly Kdf _kdf;
    private readonly Aead _aead;
    private readonly SignatureScheme _signature;

    public StandardCipherSuite(ushort id, string name, DhKem kem, Kdf kdf, Aead aead, SignatureScheme signature) : base(id)
    {
        Name = name;
        _kdf = kdf;
        _aead = aead;
        _signature = signature;
        Hpke = new Hpke(kem, kdf, aead);
    }

    /// <summary>The IANA name, e.g. MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.</summary>
    public string Name { get; }

    public override int HashLength => _kdf.HashLength;

    public override int AeadKeyLength => _aead.KeyLength;

    public override int AeadNonceLength => _aead.NonceLength;

    public override Hpke Hpke { get; }

    public override byte[] Hash(ReadOnlySpan<byte> data) => _kdf.Hash(data);

    public override byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => _kdf.Mac(key, data);

    public override byte[] KdfExtract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm) => _kdf.Extract(salt, ikm);

    public override byte[] KdfExpand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, int length) => _kdf.Expand(prk, info, length);

    public override byte[] AeadSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
        => _aead.Seal(key, nonce, aad, plaintext);

    public override byte[]? AeadOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
        => _aead.Open(key, nonce, aad, ciphertext);

    public override SignatureKeyPair GenerateSignatureKeyPair() => _signature.GenerateKeyPair();

    public override byte[] SignaturePublicKey(ReadOnlySpan<byte> privateKey) => _signature.PublicKeyFromPrivate(privateKey);

    public override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message) => _signature.Sign(privateKey, message);

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => _signature.Verify(publicKey, message, signature);

    public override string ToString() => $"{Name} (0x{Id:X4})";
}
