// RFC 9180 §7.3 (AES-128-GCM, AES-256-GCM); NIST SP 800-38D. Key 16 or 32 bytes, nonce 12, tag 16.
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>AES-GCM with a 16-byte tag appended to the ciphertext.</summary>
internal sealed class AesGcmAead : Aead
{
    public static readonly AesGcmAead Aes128Gcm = new(0x0001, 16);
    public static readonly AesGcmAead Aes256Gcm = new(0x0002, 32);

    private AesGcmAead(ushort id, int keyLength) : base(id, keyLength, 12) { }

    public override void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        using var aes = new AesGcm(key, TagLength);
        aes.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], ciphertext.Slice(plaintext.Length, TagLength), aad);
    }

    public override bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        int n = ciphertext.Length - TagLength;
        if (n < 0)
        {
            return false;
        }

        using var aes = new AesGcm(key, TagLength);
        try
        {
            aes.Decrypt(nonce, ciphertext[..n], ciphertext[n..], plaintext[..n], aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Decrypt has already cleared the plaintext buffer.
            return false;
        }
    }
}
