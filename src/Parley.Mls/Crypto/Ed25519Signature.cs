// RFC 8032 §5.1 Ed25519 (pure, no context). Private key: 32-byte seed; public key: 32 bytes; signature: 64 bytes.
using System.Security.Cryptography;
using NSec.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>Ed25519 on libsodium through NSec.</summary>
internal sealed class Ed25519Signature : SignatureScheme
{
    public static readonly Ed25519Signature Instance = new();

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    // Importing a seed computes its public key (a scalar multiplication as costly as signing itself).
    private readonly ImportedKeyCache<Key> _keys = new(key => key.Dispose());

    private Ed25519Signature() { }

    public override ushort Id => 0x0807;

    public override SignatureKeyPair GenerateKeyPair()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        return new SignatureKeyPair(seed, PublicKeyFromPrivate(seed));
    }

    public override byte[] PublicKeyFromPrivate(ReadOnlySpan<byte> privateKey)
    {
        using var key = ImportPrivateKey(privateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public override byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> message)
    {
        CheckPrivateKey(privateKey);
        var lease = _keys.Take(privateKey);
        var key = lease.Item ?? ImportPrivateKey(privateKey);
        try
        {
            return Ed25519.Sign(key, message);
        }
        finally
        {
            _keys.Return(lease, key);
        }
    }

    public override bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64
            || !PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out PublicKey? key) || key is null)
        {
            return false;
        }

        return Ed25519.Verify(key, message, signature);
    }

    public override void ClearKeyCache() => _keys.Clear();

    private static Key ImportPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        CheckPrivateKey(privateKey);
        return Key.Import(Ed25519, privateKey, KeyBlobFormat.RawPrivateKey);
    }

    private static void CheckPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32)
        {
            throw new ArgumentException("An Ed25519 private key is a 32-byte seed.", nameof(privateKey));
        }
    }
}
