// RFC 9420 §6.3.2 (sender data encryption):
//   ciphertext_sample = ciphertext[0..KDF.Nh-1]
//   sender_data_key   = ExpandWithLabel(sender_data_secret, "key", ciphertext_sample, AEAD.Nk)
//   sender_data_nonce = ExpandWithLabel(sender_data_secret, "nonce", ciphertext_sample, AEAD.Nn)
using Parley.Mls.Crypto;

namespace Parley.Mls.KeySchedule;

/// <summary>Derives the key and nonce that protect a PrivateMessage's sender data.</summary>
public static class SenderDataKeys
{
    /// <summary>Returns sender_data_key and sender_data_nonce for a message whose content ciphertext
    /// is <paramref name="ciphertext"/>; a ciphertext shorter than KDF.Nh is sampled whole.</summary>
    public static (byte[] Key, byte[] Nonce) Derive(CipherSuite suite, ReadOnlySpan<byte> senderDataSecret, ReadOnlySpan<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var sample = ciphertext[..Math.Min(ciphertext.Length, suite.HashLength)];
        return (
            suite.ExpandWithLabel(senderDataSecret, "key", sample, suite.AeadKeyLength),
            suite.ExpandWithLabel(senderDataSecret, "nonce", sample, suite.AeadNonceLength));
    }
}
