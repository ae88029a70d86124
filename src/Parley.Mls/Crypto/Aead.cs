// RFC 9180 §5.2 and §7.3 (AEAD identifiers); RFC 5116 (AEAD interface).
//
//      | AEAD              | aead_id | Nk | Nn | Nt |
//      | ----------------- | ------- | -- | -- | -- |
//      | AES-128-GCM       | 0x0001  | 16 | 12 | 16 |
//      | AES-256-GCM       | 0x0002  | 32 | 12 | 16 |
//      | ChaCha20Poly1305  | 0x0003  | 32 | 12 | 16 |
//      | Export-only       | 0xFFFF  | -  | -  | -  |
namespace Parley.Mls.Crypto;

/// <summary>An authenticated cipher: ciphertext is the encrypted plaintext followed by the tag.
/// Failed authentication returns false, never throws.</summary>
internal abstract class Aead
{
    public const int TagLength = 16;

    private protected Aead(ushort id, int keyLength, int nonceLength)
    {
        Id = id;
        KeyLength = keyLength;
        NonceLength = nonceLength;
    }

    /// <summary>The HPKE aead_id.</summary>
    public ushort Id { get; }

    /// <summary>Nk.</summary>
    public int KeyLength { get; }

    /// <summary>Nn.</summary>
    public int NonceLength { get; }

    /// <summary>Encrypts into <paramref name="ciphertext"/>, which is plaintext.Length + 16 bytes long.</summary>
    public abstract void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext);

    /// <summary>Decrypts into <paramref name="plaintext"/> (ciphertext.Length - 16 bytes); false when
    /// authentication fails, in which case <paramref name="plaintext"/> is cleared.</summary>
    public abstract bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext);

    public byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        CheckKeyAndNonce(key, nonce);
        byte[] ciphertext = new byte[plaintext.Length + TagLength];
        Seal(key, nonce, aad, plaintext, ciphertext);
        return ciphertext;
    }

    public byte[]? Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
    {
        CheckKeyAndNonce(key, nonce);
        if (ciphertext.Length < TagLength)
        {
            return null;
        }

        byte[] plaintext = new byte[ciphertext.Length - TagLength];
        return Open(key, nonce, aad, ciphertext, plaintext) ? plaintext : null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the key is Nk and the nonce Nn bytes long.</summary>
    public void CheckKeyAndNonce(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"The AEAD key must be {KeyLength} bytes.", nameof(key));
        }

        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException($"The AEAD nonce must be {NonceLength} bytes.", nameof(nonce));
        }
    }
}
