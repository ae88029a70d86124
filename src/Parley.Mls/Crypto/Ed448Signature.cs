// RFC 8032 §5.2 Ed448 (pure, empty context). Private key: 57-byte seed; public key: 57 bytes; signature: 114 bytes.
using System.Security.Cryptography;
using Ed448Math = Org.BouncyCastle.Math.EC.Rfc8032.Ed448;

namespace Parley.Mls.Crypto;

/// <summary>Ed448 on BouncyCastle's RFC 8032 implementation.</summary>
internal sealed class Ed448Signature : SignatureScheme
{
    public static readonly Ed448Signature Instance = new();

    private const int KeyLength = 57;
    private const int SignatureLength = 114;
    private static readonly byte[] EmptyContext = [];

    // BouncyCastle's Sign recomputes the public key from the seed unless given it; only the public key
    // (not secret) is cached.
    private readonly ImportedKeyCache<byte[]> _publicKeys = new(release: null);

    private Ed448Signature() { }

    public override ushort Id => 0x0808;

    public override SignatureKeyPair GenerateKeyPair()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(KeyLength);
        return new SignatureKeyPair(seed, PublicKeyFromPrivate(seed));
    }

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        CheckPrivateKey(privateKey);
        byte[] publicKey = new byte[KeyLength];
        Ed448Math.GeneratePublicKey(privateKey, publicKey);
        return publicKey;
    }

    public override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message)
    {
        CheckPrivateKey(privateKey);
        var lease = _publicKeys.Take(privateKey);
        byte[] publicKey = lease.Item ?? PublicKeyFromPrivate(privateKey);
        try
        {
            byte[] signature = new byte[SignatureLength];
            Ed448Math.Sign(privateKey, publicKey, EmptyContext, message, signature);
            return signature;
        }
        finally
        {
            _publicKeys.Return(lease, publicKey);
        }
    }

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeyLength || signature.Length != SignatureLength)
        {
            return false;
        }

        // Verify decodes the public key and rejects invalid encodings by returning false.
        return Ed448Math.Verify(signature, publicKey, EmptyContext, message);
    }

    public override void ClearKeyCache() => _publicKeys.Clear();

    private static void CheckPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeyLength)
        {
            throw new ArgumentException("An Ed448 private key is a 57-byte seed.", nameof(privateKey));
        }
    }
}
