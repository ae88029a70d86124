// RFC 9420 §5.1 and §17.1: a cipher suite assembled from a KDF (with its hash and HMAC), an AEAD,
// an HPKE configuration and a signature scheme. The post-quantum suites of ts-mls pair the hash SHA-384 with
// the KDF HKDF-SHA512 (suites 79 and 80), so the hash (Hash, MAC) may come from another KDF than the one MLS
// and HPKE derive keys with.
namespace Parley.Mls.Crypto;

/// <summary>The cipher suites of RFC 9420 §17.1 and the provisional post-quantum ones, each a combination of the
/// primitives in this folder.</summary>
internal sealed class StandardCipherSuite : CipherSuite
{
    private readonly Kdf _kdf;
    private readonly Kdf _hash;
    private readonly Aead _aead;
    private readonly SignatureScheme _signature;

    /// <param name="id">The code point.</param>
    /// <param name="name">The suite's name.</param>
    /// <param name="kem">HPKE's KEM.</param>
    /// <param name="kdf">The KDF of MLS and of HPKE.</param>
    /// <param name="aead">The AEAD of MLS and of HPKE.</param>
    /// <param name="signature">The signature scheme.</param>
    /// <param name="hash">The hash of Hash and MAC when it is not the KDF's.</param>
    public StandardCipherSuite(ushort id, string name, Kem kem, Kdf kdf, Aead aead, SignatureScheme signature, Kdf? hash = null) : base(id)
    {
        Name = name;
        _kdf = kdf;
        _hash = hash ?? kdf;
        _aead = aead;
        _signature = signature;
        Hpke = new Hpke(kem, kdf, aead);
    }

    /// <summary>The IANA name, e.g. MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.</summary>
    public string Name { get; }

    public override int HashLength => _kdf.HashLength;

    public override int AeadKeyLength => _aead.KeyLength;

    public override int AeadNonceLength => _aead.NonceLength;

    public override int AeadTagLength => Aead.TagLength;

    public override Hpke Hpke { get; }

    private protected override object SignatureAlgorithm => _signature;

    public override byte[] Hash(ReadOnlySpan<byte> data) => _hash.Hash(data);

    public override byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => _hash.Mac(key, data);

    public override byte[] KdfExtract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm) => _kdf.Extract(salt, ikm);

    public override byte[] KdfExpand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, int length) => _kdf.Expand(prk, info, length);

    public override void KdfExpand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output) => _kdf.Expand(prk, info, output);

    public override byte[] AeadSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
        => _aead.Seal(key, nonce, aad, plaintext);

    public override byte[]? AeadOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
        => _aead.Open(key, nonce, aad, ciphertext);

    public override int AeadSeal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext,
        Span<byte> destination)
    {
        _aead.CheckKeyAndNonce(key, nonce);
        int length = checked(plaintext.Length + Aead.TagLength);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination must hold plaintext.Length + {Aead.TagLength} bytes.", nameof(destination));
        }

        _aead.Seal(key, nonce, aad, plaintext, destination[..length]);
        return length;
    }

    public override bool AeadOpen(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext,
        Span<byte> destination)
    {
        _aead.CheckKeyAndNonce(key, nonce);
        int length = ciphertext.Length - Aead.TagLength;
        if (length < 0)
        {
            return false;
        }

        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination must hold ciphertext.Length - {Aead.TagLength} bytes.", nameof(destination));
        }

        return _aead.Open(key, nonce, aad, ciphertext, destination[..length]);
    }

    public override SignatureKeyPair GenerateSignatureKeyPair() => _signature.GenerateKeyPair();

    public override byte[] SignaturePublicKey(ReadOnlySpan<byte> privateKey) => _signature.PublicKeyFromPrivate(privateKey);

    public override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message) => _signature.Sign(privateKey, message);

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => _signature.Verify(publicKey, message, signature);

    private protected override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message)
        => _signature.Sign(privateKey, prefix, message);

    private protected override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message,
        ReadOnlySpan<byte> signature)
        => _signature.Verify(publicKey, prefix, message, signature);

    private protected override void ClearKeyCache() => _signature.ClearKeyCache();

    public override string ToString() => $"{Name} (0x{Id:X4})";
}
