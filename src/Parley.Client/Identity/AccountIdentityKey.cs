// An account's identity key: Ed25519 (RFC 8032), which signs the account's device keys.
using NSec.Cryptography;

namespace Parley.Client.Identity;

/// <summary>The account identity key pair (Ed25519). The private key lives in libsodium's guarded memory,
/// is wiped on <see cref="Dispose"/>, and leaves only through <see cref="ExportPrivateKey"/>.</summary>
public sealed class AccountIdentityKey : IDisposable
{
    /// <summary>Length of the public key.</summary>
    public const int PublicKeySize = 32;

    /// <summary>Length of the private key (the RFC 8032 seed).</summary>
    public const int PrivateKeySize = 32;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private AccountIdentityKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The 32-byte public key (what contacts pin and safety numbers cover).</summary>
    public byte[] PublicKey { get; }

    /// <summary>Creates a fresh key pair.</summary>
    public static AccountIdentityKey Generate() => new(Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Imports a 32-byte private key (the RFC 8032 seed) as <see cref="ExportPrivateKey"/> wrote it.</summary>
    public static AccountIdentityKey Import(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != PrivateKeySize)
        {
            throw new ArgumentException("An Ed25519 private key is 32 bytes.", nameof(privateKey));
        }
        return new(Key.Import(Ed25519, privateKey, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    /// <summary>Signs <paramref name="message"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519.Sign(_key, message);

    /// <summary>Checks an Ed25519 signature; malformed keys or signatures verify as false.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => NSec.Cryptography.PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key)
           && key is not null
           && Ed25519.Verify(key, message, signature);

    /// <summary>Exports the 32-byte private key: a secret the caller must wipe.</summary>
    public byte[] ExportPrivateKey() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public void Dispose() => _key.Dispose();

    public override string ToString() => $"AccountIdentityKey({Convert.ToHexString(PublicKey)})";
}
