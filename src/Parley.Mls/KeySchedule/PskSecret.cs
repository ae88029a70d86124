// RFC 9420 §8.4 (pre-shared keys): psk_secret chains every injected PSK through KDF.Extract.
//
//   psk_extracted_[i] = KDF.Extract(0, psk_[i])
//   psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, KDF.Nh)
//   psk_secret_[0]    = 0
//   psk_secret_[i+1]  = KDF.Extract(psk_input_[i], psk_secret_[i])
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.KeySchedule;

/// <summary>Computes the psk_secret input of the key schedule from the PSKs of a Commit or Welcome.</summary>
public static class PskSecret
{
    /// <summary>Returns psk_secret for <paramref name="psks"/>, in the order the Commit or GroupSecrets
    /// lists them. Each entry is the TLS encoding of its PreSharedKeyID and the PSK's value; no PSKs
    /// give KDF.Nh zero bytes.</summary>
    public static byte[] Compute(CipherSuite suite, IReadOnlyList<(byte[] EncodedPskId, byte[] Psk)> psks)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(psks);
        if (psks.Count > ushort.MaxValue)
        {
            throw new MlsProtocolException(MlsError.PskCountTooLarge, $"{psks.Count} PSKs exceed the {ushort.MaxValue} a PSKLabel can count.");
        }

        int nh = suite.HashLength;
        byte[] zero = new byte[nh];
        byte[] secret = new byte[nh];
        ushort count = (ushort)psks.Count;
        try
        {
            for (int i = 0; i < psks.Count; i++)
            {
                var (encodedId, psk) = psks[i];
                ArgumentNullException.ThrowIfNull(encodedId);
                ArgumentNullException.ThrowIfNull(psk);

                // struct { PreSharedKeyID id; uint16 index; uint16 count; } PSKLabel;
                var label = new TlsWriter(encodedId.Length + 4);
                label.WriteBytes(encodedId);
                label.WriteUInt16((ushort)i);
                label.WriteUInt16(count);

                byte[]? extracted = null, input = null;
                try
                {
                    extracted = suite.KdfExtract(zero, psk);
                    input = suite.ExpandWithLabel(extracted, "derived psk", label.WrittenSpan, nh);
                    byte[] next = suite.KdfExtract(input, secret);
                    CryptographicOperations.ZeroMemory(secret);
                    secret = next;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(extracted);
                    CryptographicOperations.ZeroMemory(input);
                }
            }
            return secret;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(secret);
            throw;
        }
    }
}
