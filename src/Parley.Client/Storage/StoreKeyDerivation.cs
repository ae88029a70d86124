// Argon2id (RFC 9106) parameters for the key that wraps a store's random key.
namespace Parley.Client.Storage;

/// <summary>How the passphrase becomes the key-encryption key: Argon2id with one lane (libsodium's only
/// choice), <paramref name="MemoryKiB"/> KiB of memory and <paramref name="Passes"/> passes. The values are
/// written into the store's header, so a store always opens with the parameters it was created with.</summary>
public sealed record StoreKeyDerivation(int MemoryKiB, int Passes)
{
    /// <summary>64 MiB, 3 passes: RFC 9106's second recommended setting (with one lane).</summary>
    public static StoreKeyDerivation Default { get; } = new(64 * 1024, 3);

    /// <summary>The smallest setting libsodium accepts; for tests only.</summary>
    public static StoreKeyDerivation Minimal { get; } = new(8, 1);

    internal void Validate()
    {
        // libsodium's bounds for crypto_pwhash_argon2id: 8 KiB .. 4 TiB of memory, at least one pass.
        if (MemoryKiB < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryKiB), MemoryKiB, "Argon2id needs at least 8 KiB of memory.");
        }
        if (Passes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Passes), Passes, "Argon2id needs at least one pass.");
        }
    }
}
