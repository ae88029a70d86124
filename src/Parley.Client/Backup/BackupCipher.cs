// The keys and chunk encryption of a Parley backup file (docs/backup.md, "Format").
//
//   root        the backup key (32 B), or Argon2id(passphrase UTF-8 NFC, salt, m KiB, t passes, 1 lane) -> 32 B
//   chunk key   HKDF-SHA256(root, salt, "parley backup v1 chunks")    -> 32 B
//   key check   HKDF-SHA256(root, salt, "parley backup v1 key check") -> 32 B, in the header
//   chunk i     XChaCha20-Poly1305(chunk key, nonce = 0^15 || uint64 i || last, aad = header, plaintext)
//
// The chunk key is new for every file (fresh key or fresh salt), so counter nonces never repeat under one key; the
// counter in the nonce detects reordering, the last flag truncation at a chunk boundary, the header as associated data
// any change to it.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Parley.Client.Backup;

/// <summary>Seals and opens the chunks of one backup file. Owns its chunk key and wipes it on dispose.</summary>
internal sealed class BackupCipher : IDisposable
{
    public const int TagSize = 16;
    private const int RootSize = 32;
    private const int NonceSize = 24;

    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;
    private static readonly byte[] ChunkInfo = "parley backup v1 chunks"u8.ToArray();
    private static readonly byte[] CheckInfo = "parley backup v1 key check"u8.ToArray();

    private readonly Key _chunkKey;
    private readonly byte[] _header;

    private BackupCipher(Key chunkKey, BackupHeader header, byte[] headerBytes)
    {
        _chunkKey = chunkKey;
        Header = header;
        _header = headerBytes;
    }

    public BackupHeader Header { get; }

    /// <summary>The header's bytes, as written at the start of the file.</summary>
    public ReadOnlySpan<byte> HeaderBytes => _header;

    /// <summary>A cipher for a new file: fresh salt, keys derived from <paramref name="secret"/>.</summary>
    public static BackupCipher Create(BackupSecret secret, int chunkSize = BackupHeader.DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, BackupHeader.MinChunkSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSize, BackupHeader.MaxChunkSize);
        byte[] salt = RandomNumberGenerator.GetBytes(BackupHeader.SaltSize);
        bool passphrase = secret.Kind == BackupKeyKind.Passphrase;
        if (passphrase)
        {
            secret.KeyDerivation.Validate();
        }
        var header = new BackupHeader(secret.Kind, chunkSize, passphrase ? secret.KeyDerivation.MemoryKiB : 0,
            passphrase ? secret.KeyDerivation.Passes : 0, salt, new byte[BackupHeader.KeyCheckSize]);
        return Derive(secret, header, (chunkKey, check) =>
        {
            var sealedHeader = header with { KeyCheck = check };
            return new BackupCipher(chunkKey, sealedHeader, sealedHeader.Encode());
        });
    }

    /// <summary>A cipher for an existing file's header. Throws <see cref="BackupFormatException"/> when the secret is
    /// of the other kind or its key check does not match.</summary>
    public static BackupCipher Open(BackupHeader header, BackupSecret secret)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(secret);
        if (header.KeyKind != secret.Kind)
        {
            throw new BackupFormatException(BackupProblem.WrongKeyKind, (header.KeyKind, secret.Kind) switch
            {
                (BackupKeyKind.LinkKey, _) => "This file is the history bundle of a device link, not a backup.",
                (_, BackupKeyKind.LinkKey) => "This file is a backup, not the history bundle of a device link.",
                (BackupKeyKind.Key, _) => "This backup was made with a backup key, not a passphrase; give its key.",
                _ => "This backup was made with a passphrase, not a backup key; give its passphrase.",
            });
        }
        return Derive(secret, header, (chunkKey, check) =>
        {
            if (!CryptographicOperations.FixedTimeEquals(check, header.KeyCheck))
            {
                chunkKey.Dispose();
                throw new BackupFormatException(BackupProblem.WrongKey, header.KeyKind switch
                {
                    BackupKeyKind.Key => "The backup key does not open this backup; check the key you copied.",
                    BackupKeyKind.LinkKey => "The key this link carried does not open the history bundle; it belongs to another link.",
                    _ => "The passphrase does not open this backup.",
                });
            }
            return new BackupCipher(chunkKey, header, header.Encode());
        });
    }

    private static BackupCipher Derive(BackupSecret secret, BackupHeader header, Func<Key, byte[], BackupCipher> make)
    {
        byte[] root = new byte[RootSize];
        byte[] chunk = new byte[RootSize];
        try
        {
            if (secret.Key is { } key)
            {
                key.Bytes.CopyTo(root);
            }
            else
            {
                StretchPassphrase(secret.Passphrase!, header, root);
            }
            HKDF.DeriveKey(HashAlgorithmName.SHA256, root, chunk, header.Salt, ChunkInfo);
            byte[] check = HKDF.DeriveKey(HashAlgorithmName.SHA256, root, BackupHeader.KeyCheckSize, header.Salt, CheckInfo);
            var chunkKey = Key.Import(Aead, chunk, KeyBlobFormat.RawSymmetricKey);
            return make(chunkKey, check);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(root);
            CryptographicOperations.ZeroMemory(chunk);
        }
    }

    private static void StretchPassphrase(string passphrase, BackupHeader header, Span<byte> root)
    {
        var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = header.MemoryKiB,
            NumberOfPasses = header.Passes,
        });
        // The same passphrase typed on two keyboards may reach us composed or decomposed.
        byte[] password = Encoding.UTF8.GetBytes(passphrase.Normalize(NormalizationForm.FormC));
        try
        {
            argon.DeriveBytes(password, header.Salt, root);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    /// <summary>Encrypts chunk <paramref name="index"/> into <paramref name="ciphertext"/> (plaintext length + 16).</summary>
    public void Seal(ulong index, bool last, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        Nonce(index, last, nonce);
        Aead.Encrypt(_chunkKey, nonce, _header, plaintext, ciphertext);
    }

    /// <summary>Decrypts chunk <paramref name="index"/>; false when it does not authenticate as that chunk.</summary>
    public bool TryOpen(ulong index, bool last, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagSize)
        {
            return false;
        }
        Span<byte> nonce = stackalloc byte[NonceSize];
        Nonce(index, last, nonce);
        return Aead.Decrypt(_chunkKey, nonce, _header, ciphertext, plaintext);
    }

    private static void Nonce(ulong index, bool last, Span<byte> nonce)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[15..], index);
        nonce[23] = last ? (byte)1 : (byte)0;
    }

    public void Dispose() => _chunkKey.Dispose();
}
