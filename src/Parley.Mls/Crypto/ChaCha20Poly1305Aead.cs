// RFC 9180 §7.3 (ChaCha20Poly1305); RFC 8439. Key 32 bytes, nonce 12, tag 16.
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>ChaCha20-Poly1305 with a 16-byte tag appended to the ciphertext.</summary>
internal sealed class ChaCha20Poly1305Aead : Aead
{
    public static readonly ChaCha20Poly1305Aead Instance = new();

    private ChaCha20Poly1305Aead() : base(0x0003, 32, 12) { }

    /// <summary>Whether the platform's crypto library provides ChaCha20-Poly1305.</summary>
    public static bool IsSupported => System.Security.Cryptography.ChaCha20Poly1305.IsSupported;

    public override void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        using var cipher = new System.Security.Cryptography.ChaCha20Poly1305(key);
        cipher.Encrypt(nonce, plaintext, ciphertext[..plaintext.Length], ciphertext.Slice(plaintext.Length, TagLength), aad);
    }

    public override bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        int n = ciphertext.Length - TagLength;
        if (n < 0)
        {
            return false;
        }

        using var cipher = new System.Security.Cryptography.ChaCha20Poly1305(key);
        try
        {
            cipher.Decrypt(nonce, ciphertext[..n], ciphertext[n..], plaintext[..n], aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
