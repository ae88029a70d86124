// RFC 9180 §4 (KDF: Extract, Expand, LabeledExtract, LabeledExpand) and RFC 5869 (HKDF).
//
//      | KDF          | kdf_id | Nh |
//      | ------------ | ------ | -- |
//      | HKDF-SHA256  | 0x0001 | 32 |
//      | HKDF-SHA384  | 0x0002 | 48 |
//      | HKDF-SHA512  | 0x0003 | 64 |
using System.Diagnostics;
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>HKDF over one SHA-2 hash, with the hash and HMAC it is built on.</summary>
internal sealed class Kdf
{
    private static readonly byte[] HpkeVersionLabel = "HPKE-v1"u8.ToArray();

    public static readonly Kdf HkdfSha256 = new(0x0001, HashAlgorithmName.SHA256, 32);
    public static readonly Kdf HkdfSha384 = new(0x0002, HashAlgorithmName.SHA384, 48);
    public static readonly Kdf HkdfSha512 = new(0x0003, HashAlgorithmName.SHA512, 64);

    private readonly HashAlgorithmName _hash;

    private Kdf(ushort id, HashAlgorithmName hash, int hashLength)
    {
        Id = id;
        _hash = hash;
        HashLength = hashLength;
    }

    /// <summary>The HPKE kdf_id.</summary>
    public ushort Id { get; }

    /// <summary>Nh: the hash output length and the length of Extract's output.</summary>
    public int HashLength { get; }

    public void Hash(ReadOnlySpan<byte> data, Span<byte> output)
    {
        Debug.Assert(output.Length == HashLength);
        switch (Id)
        {
            case 0x0001: SHA256.HashData(data, output); break;
            case 0x0002: SHA384.HashData(data, output); break;
            default: SHA512.HashData(data, output); break;
        }
    }

    public byte[] Hash(ReadOnlySpan<byte> data)
        => Id switch
        {
            0x0001 => SHA256.HashData(data),
            0x0002 => SHA384.HashData(data),
            _ => SHA512.HashData(data),
        };

    public void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output)
    {
        Debug.Assert(output.Length == HashLength);
        switch (Id)
        {
            case 0x0001: HMACSHA256.HashData(key, data, output); break;
            case 0x0002: HMACSHA384.HashData(key, data, output); break;
            default: HMACSHA512.HashData(key, data, output); break;
        }
    }

    public byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        byte[] output = new byte[HashLength];
        Mac(key, data, output);
        return output;
    }

    /// <summary>HKDF-Extract; an empty salt stands for Nh zero bytes (RFC 5869 §2.2).</summary>
    public void Extract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm, Span<byte> prk)
        => HKDF.Extract(_hash, ikm, salt, prk);

    public byte[] Extract(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> ikm)
    {
        byte[] prk = new byte[HashLength];
        Extract(salt, ikm, prk);
        return prk;
    }

    /// <summary>HKDF-Expand to <c>output.Length</c> bytes (at most 255 * Nh).</summary>
    public void Expand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length > 255 * HashLength)
        {
            throw new ArgumentOutOfRangeException(nameof(output), "HKDF-Expand output is limited to 255 * Nh bytes.");
        }

        if (output.IsEmpty)
        {
            // The export-only AEAD's key and nonce are empty; the BCL refuses a zero-length output.
            return;
        }

        if (prk.Length >= HashLength)
        {
            HKDF.Expand(_hash, prk, output, info);
        }
        else
        {
            // The BCL refuses a PRK shorter than Nh; RFC 5869's construction is defined for any HMAC key.
            ExpandWithShortKey(prk, info, output);
        }
    }

    public byte[] Expand(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte[] output = new byte[length];
        Expand(prk, info, output);
        return output;
    }

    /// <summary>LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm).</summary>
    public void LabeledExtract(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> label, ReadOnlySpan<byte> ikm, Span<byte> prk)
    {
        int n = HpkeVersionLabel.Length + suiteId.Length + label.Length + ikm.Length;
        if (n > 512)
        {
            // A large input (an EncryptWithLabel context with a big GroupInfo) is streamed through the
            // HMAC instead of copied: Extract(salt, ikm) = HMAC(salt, ikm), an empty salt meaning Nh zeros.
            Span<byte> zeros = stackalloc byte[HashLength];
            zeros.Clear();
            using var hmac = IncrementalHash.CreateHMAC(_hash, salt.IsEmpty ? zeros : salt);
            hmac.AppendData(HpkeVersionLabel);
            hmac.AppendData(suiteId);
            hmac.AppendData(label);
            hmac.AppendData(ikm);
            hmac.GetHashAndReset(prk);
            return;
        }

        Span<byte> input = stackalloc byte[n];
        try
        {
            HpkeVersionLabel.CopyTo(input);
            int o = HpkeVersionLabel.Length;
            suiteId.CopyTo(input[o..]);
            o += suiteId.Length;
            label.CopyTo(input[o..]);
            o += label.Length;
            ikm.CopyTo(input[o..]);
            Extract(salt, input, prk);
        }
        finally
        {
            // The input carries secret key material (a DH output or a PSK).
            CryptographicOperations.ZeroMemory(input);
        }
    }

    /// <summary>LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).</summary>
    public void LabeledExpand(ReadOnlySpan<byte> suiteId, ReadOnlySpan<byte> prk, ReadOnlySpan<byte> label, ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(output), "LabeledExpand output is limited to 65535 bytes.");
        }

        int n = 2 + HpkeVersionLabel.Length + suiteId.Length + label.Length + info.Length;
        Span<byte> labeledInfo = n <= 512 ? stackalloc byte[n] : new byte[n];
        labeledInfo[0] = (byte)(output.Length >> 8);
        labeledInfo[1] = (byte)output.Length;
        HpkeVersionLabel.CopyTo(labeledInfo[2..]);
        int o = 2 + HpkeVersionLabel.Length;
        suiteId.CopyTo(labeledInfo[o..]);
        o += suiteId.Length;
        label.CopyTo(labeledInfo[o..]);
        o += label.Length;
        info.CopyTo(labeledInfo[o..]);
        Expand(prk, labeledInfo, output);
    }

    private void ExpandWithShortKey(ReadOnlySpan<byte> prk, ReadOnlySpan<byte> info, Span<byte> output)
    {
        int nh = HashLength;
        byte[] block = new byte[nh + info.Length + 1];
        Span<byte> t = stackalloc byte[nh];
        try
        {
            int written = 0;
            int previous = 0;
            for (int counter = 1; written < output.Length; counter++)
            {
                // T(i) = HMAC(PRK, T(i-1) || info || i)
                t[..previous].CopyTo(block);
                info.CopyTo(block.AsSpan(previous));
                block[previous + info.Length] = (byte)counter;
                Mac(prk, block.AsSpan(0, previous + info.Length + 1), t);
                int take = Math.Min(nh, output.Length - written);
                t[..take].CopyTo(output[written..]);
                written += take;
                previous = nh;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(t);
        }
    }
}
