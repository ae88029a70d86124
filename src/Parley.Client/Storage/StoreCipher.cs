// Encryption at rest of a Parley client store.
//
//   store key   32 random bytes, made once per store, kept only wrapped on disk
//   KEK         Argon2id(passphrase UTF-8 NFC, salt 16 B, m KiB, t passes) -> 32 B
//   wrapped     XChaCha20-Poly1305(KEK, nonce 24 B, aad = "parley store key v1" || kdf header, store key)
//   value key   HKDF-SHA256(store key, salt "", info "parley store v1 values")  -> 32 B
//   index key   HKDF-SHA256(store key, salt "", info "parley store v1 index")   -> 32 B
//   value       0x01 || nonce (24 B, random) || XChaCha20-Poly1305 ciphertext || tag (16 B)
//               aad = "parley store v1" 0x00 table 0x00 column 0x00 row id
//   blind index HMAC-SHA256(index key, domain 0x00 value)[0..16]  (equality lookups without plaintext)
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Parley.Client.Storage;

/// <summary>Seals and opens the store's values with keys derived from the store key, and computes blind
/// indexes. Owns its keys (in libsodium's guarded memory) and wipes them on dispose.</summary>
internal sealed class StoreCipher : IDisposable
{
    internal const int KeySize = 32;
    internal const int SaltSize = 16;
    private const byte ValueFormat = 1;
    private const int NonceSize = 24;
    private const int TagSize = 16;
    private const int Overhead = 1 + NonceSize + TagSize;
    private const int BlindIndexSize = 16;

    private static readonly AeadAlgorithm Aead = AeadAlgorithm.XChaCha20Poly1305;
    private static readonly MacAlgorithm IndexMac = MacAlgorithm.HmacSha256;
    private static readonly byte[] ValueAadPrefix = "parley store v1\0"u8.ToArray();
    private static readonly byte[] WrapAadPrefix = "parley store key v1\0"u8.ToArray();

    private readonly Key _storeKey;
    private readonly Key _valueKey;
    private readonly Key _indexKey;

    private StoreCipher(Key storeKey, Key valueKey, Key indexKey)
    {
        _storeKey = storeKey;
        _valueKey = valueKey;
        _indexKey = indexKey;
    }

    /// <summary>Creates a cipher over a fresh random store key.</summary>
    public static StoreCipher CreateNew()
    {
        Span<byte> storeKey = stackalloc byte[KeySize];
        try
        {
            RandomNumberGenerator.Fill(storeKey);
            return FromStoreKey(storeKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(storeKey);
        }
    }

    /// <summary>Wraps the store key under a key derived from <paramref name="passphrase"/>; returns the
    /// header (KDF parameters and salt) and the wrapped key to write to the store's meta table.</summary>
    public (byte[] KdfHeader, byte[] WrappedKey) Wrap(string passphrase, StoreKeyDerivation kdf)
    {
        kdf.Validate();
        byte[] salt = RandomNumberGenerator.GetBytes(SaltSize);
        byte[] header = EncodeKdfHeader(kdf, salt);
        using Key kek = DeriveKek(passphrase, kdf, salt);
        byte[] storeKey = _storeKey.Export(KeyBlobFormat.RawSymmetricKey);
        try
        {
            byte[] wrapped = new byte[NonceSize + KeySize + TagSize];
            RandomNumberGenerator.Fill(wrapped.AsSpan(0, NonceSize));
            Aead.Encrypt(kek, wrapped.AsSpan(0, NonceSize), WrapAad(header), storeKey, wrapped.AsSpan(NonceSize));
            return (header, wrapped);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(storeKey);
        }
    }

    /// <summary>Unwraps the store key with <paramref name="passphrase"/>; throws <see cref="WrongPassphraseException"/>
    /// when it does not authenticate.</summary>
    public static StoreCipher Unwrap(string passphrase, byte[] kdfHeader, byte[] wrappedKey)
    {
        var (kdf, salt) = DecodeKdfHeader(kdfHeader);
        if (wrappedKey.Length != NonceSize + KeySize + TagSize)
        {
            throw new StoreFormatException("The store's key header is damaged.");
        }
        using Key kek = DeriveKek(passphrase, kdf, salt);
        Span<byte> storeKey = stackalloc byte[KeySize];
        try
        {
            if (!Aead.Decrypt(kek, wrappedKey.AsSpan(0, NonceSize), WrapAad(kdfHeader), wrappedKey.AsSpan(NonceSize), storeKey))
            {
                throw new WrongPassphraseException();
            }
            return FromStoreKey(storeKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(storeKey);
        }
    }

    /// <summary>Encrypts <paramref name="plaintext"/> for one cell: table, column and row id are authenticated,
    /// so the result opens nowhere else.</summary>
    public byte[] Seal(string table, string column, ReadOnlySpan<byte> rowId, ReadOnlySpan<byte> plaintext)
    {
        byte[] output = new byte[Overhead + plaintext.Length];
        output[0] = ValueFormat;
        RandomNumberGenerator.Fill(output.AsSpan(1, NonceSize));
        Span<byte> aad = stackalloc byte[AadLength(table, column, rowId)];
        WriteAad(table, column, rowId, aad);
        Aead.Encrypt(_valueKey, output.AsSpan(1, NonceSize), aad, plaintext, output.AsSpan(1 + NonceSize));
        return output;
    }

    /// <summary>Seals a cell whose row id is a local sequence number.</summary>
    public byte[] Seal(string table, string column, long rowId, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(id, rowId);
        return Seal(table, column, id, plaintext);
    }

    /// <summary>Decrypts a cell sealed by <see cref="Seal(string, string, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>;
    /// throws <see cref="StoreIntegrityException"/> if it was altered or belongs to another cell.</summary>
    public byte[] Open(string table, string column, ReadOnlySpan<byte> rowId, ReadOnlySpan<byte> sealedValue)
    {
        if (sealedValue.Length < Overhead || sealedValue[0] != ValueFormat)
        {
            throw new StoreIntegrityException(table, column);
        }
        byte[] plaintext = new byte[sealedValue.Length - Overhead];
        Span<byte> aad = stackalloc byte[AadLength(table, column, rowId)];
        WriteAad(table, column, rowId, aad);
        if (!Aead.Decrypt(_valueKey, sealedValue.Slice(1, NonceSize), aad, sealedValue[(1 + NonceSize)..], plaintext))
        {
            throw new StoreIntegrityException(table, column);
        }
        return plaintext;
    }

    /// <summary>Opens a cell whose row id is a local sequence number.</summary>
    public byte[] Open(string table, string column, long rowId, ReadOnlySpan<byte> sealedValue)
    {
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(id, rowId);
        return Open(table, column, id, sealedValue);
    }

    /// <summary>A keyed, deterministic 16-byte tag of <paramref name="value"/> in <paramref name="domain"/>:
    /// lets the store find a row by a secret value (a message id, a key package ref) without writing it.</summary>
    public byte[] BlindIndex(string domain, ReadOnlySpan<byte> value)
    {
        int domainLength = Encoding.UTF8.GetByteCount(domain);
        byte[] input = new byte[domainLength + 1 + value.Length];
        Encoding.UTF8.GetBytes(domain, input);
        value.CopyTo(input.AsSpan(domainLength + 1));
        byte[] mac = IndexMac.Mac(_indexKey, input);
        return mac.AsSpan(0, BlindIndexSize).ToArray();
    }

    /// <summary>Blind index of a UTF-8 string.</summary>
    public byte[] BlindIndex(string domain, string value) => BlindIndex(domain, Encoding.UTF8.GetBytes(value));

    public void Dispose()
    {
        _storeKey.Dispose();
        _valueKey.Dispose();
        _indexKey.Dispose();
    }

    public override string ToString() => "StoreCipher";

    private static StoreCipher FromStoreKey(ReadOnlySpan<byte> storeKey)
    {
        // HKDF-Extract with an empty salt gives a pseudorandom key as secret as the store key itself.
        Span<byte> prk = stackalloc byte[32];
        Span<byte> derived = stackalloc byte[KeySize];
        Key? store = null, value = null, index = null;
        try
        {
            store = Key.Import(Aead, storeKey, KeyBlobFormat.RawSymmetricKey,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
            HKDF.Extract(HashAlgorithmName.SHA256, storeKey, [], prk);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, derived, "parley store v1 values"u8);
            value = Key.Import(Aead, derived, KeyBlobFormat.RawSymmetricKey);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, derived, "parley store v1 index"u8);
            index = Key.Import(IndexMac, derived, KeyBlobFormat.RawSymmetricKey);
            return new StoreCipher(store, value, index);
        }
        catch
        {
            store?.Dispose();
            value?.Dispose();
            index?.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
            CryptographicOperations.ZeroMemory(derived);
        }
    }

    private static Key DeriveKek(string passphrase, StoreKeyDerivation kdf, byte[] salt)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = kdf.MemoryKiB,
            NumberOfPasses = kdf.Passes,
        });
        byte[] password = Encoding.UTF8.GetBytes(Normalize(passphrase));
        try
        {
            return argon.DeriveKey(password, salt, Aead);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    // The same passphrase typed on two keyboards may reach us composed or decomposed.
    private static string Normalize(string passphrase)
    {
        try
        {
            return passphrase.Normalize(NormalizationForm.FormC);
        }
        catch (PlatformNotSupportedException)
        {
            return passphrase;
        }
    }

    // kdf header = uint8 algorithm (1 = Argon2id v1.3) || uint32 memory KiB || uint32 passes || salt (16 B)
    private static byte[] EncodeKdfHeader(StoreKeyDerivation kdf, byte[] salt)
    {
        byte[] header = new byte[1 + 4 + 4 + SaltSize];
        header[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)kdf.MemoryKiB);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), (uint)kdf.Passes);
        salt.CopyTo(header.AsSpan(9));
        return header;
    }

    internal static (StoreKeyDerivation Kdf, byte[] Salt) DecodeKdfHeader(byte[] header)
    {
        if (header.Length != 1 + 4 + 4 + SaltSize || header[0] != 1)
        {
            throw new StoreFormatException("The store's key header names an unknown key derivation; it was written by a newer Parley.");
        }
        uint memory = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        uint passes = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5));
        if (memory is < 8 or > 4u * 1024 * 1024 || passes is < 1 or > 64)
        {
            throw new StoreFormatException("The store's key header is damaged.");
        }
        return (new StoreKeyDerivation((int)memory, (int)passes), header.AsSpan(9).ToArray());
    }

    private static byte[] WrapAad(byte[] header)
    {
        byte[] aad = new byte[WrapAadPrefix.Length + header.Length];
        WrapAadPrefix.CopyTo(aad, 0);
        header.CopyTo(aad, WrapAadPrefix.Length);
        return aad;
    }

    private static int AadLength(string table, string column, ReadOnlySpan<byte> rowId)
        => ValueAadPrefix.Length + table.Length + 1 + column.Length + 1 + rowId.Length;

    // Table and column names are ASCII identifiers chosen in code.
    private static void WriteAad(string table, string column, ReadOnlySpan<byte> rowId, Span<byte> aad)
    {
        ValueAadPrefix.CopyTo(aad);
        int at = ValueAadPrefix.Length;
        at += Encoding.ASCII.GetBytes(table, aad[at..]);
        aad[at++] = 0;
        at += Encoding.ASCII.GetBytes(column, aad[at..]);
        aad[at++] = 0;
        rowId.CopyTo(aad[at..]);
    }
}
