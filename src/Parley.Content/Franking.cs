// Message franking (docs/client-envelope.md §1, "Franking"; docs/safety.md), after Grubbs, Lu and
// Ristenpart's committing encryption as used by Messenger's secret conversations.
//
//   fk          32 fresh random bytes per message, carried inside the encryption as the envelope's last
//               field: a franked envelope ENDS WITH 0x01 0x20 fk[32] (optional<opaque franking_key<V>>)
//   M           the envelope without those last 34 bytes ("franked bytes")
//   c           HMAC-SHA256(key = fk, "Parley franking v1" || 0x00 || M)
//   AAD         0x01 (version) || c[32]  -- the MLS PrivateMessage's authenticated_data, readable by the server
//
// The server binds c to sender, recipient and time at delivery; a reporter reveals the envelope (with fk),
// so the operator can check it against c and learns nothing about any other message.
using System.Security.Cryptography;

namespace Parley.Content;

/// <summary>Commits to a content envelope with a one-time franking key and checks such commitments, so an
/// abuse report proves exactly which message a sender sent.</summary>
public static class Franking
{
    /// <summary>Bytes of a franking key.</summary>
    public const int KeySize = 32;

    /// <summary>Bytes of a commitment (HMAC-SHA256).</summary>
    public const int CommitmentSize = 32;

    /// <summary>The version byte that starts a franking AAD.</summary>
    public const byte AadVersion = 1;

    /// <summary>Bytes of a franking AAD: the version and the commitment.</summary>
    public const int AadSize = 1 + CommitmentSize;

    /// <summary>Bytes a franking key adds at the end of an envelope: presence flag, length, key.</summary>
    public const int TrailerSize = 2 + KeySize;

    private static ReadOnlySpan<byte> Label => "Parley franking v1"u8;

    /// <summary>A fresh random franking key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>The commitment <c>HMAC-SHA256(fk, "Parley franking v1" || 0x00 || M)</c> to the franked bytes
    /// <paramref name="frankedBytes"/> (the envelope without its franking key).</summary>
    public static byte[] Commit(ReadOnlySpan<byte> fk, ReadOnlySpan<byte> frankedBytes)
    {
        if (fk.Length != KeySize)
        {
            throw new ArgumentException($"A franking key is {KeySize} bytes.", nameof(fk));
        }
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, fk);
        hmac.AppendData(Label);
        hmac.AppendData([0]);
        hmac.AppendData(frankedBytes);
        return hmac.GetHashAndReset();
    }

    /// <summary>The MLS authenticated_data carrying <paramref name="commitment"/>: <c>0x01 || c</c>.</summary>
    public static byte[] EncodeAad(ReadOnlySpan<byte> commitment)
    {
        if (commitment.Length != CommitmentSize)
        {
            throw new ArgumentException($"A franking commitment is {CommitmentSize} bytes.", nameof(commitment));
        }
        byte[] aad = new byte[AadSize];
        aad[0] = AadVersion;
        commitment.CopyTo(aad.AsSpan(1));
        return aad;
    }

    /// <summary>Reads the commitment from an authenticated_data field; false unless it is exactly a version-1
    /// franking AAD.</summary>
    public static bool TryDecodeAad(ReadOnlySpan<byte> aad, out byte[] commitment)
    {
        if (aad.Length != AadSize || aad[0] != AadVersion)
        {
            commitment = [];
            return false;
        }
        commitment = aad[1..].ToArray();
        return true;
    }

    /// <summary>Splits a franked envelope into its franked bytes and its franking key; false when the envelope
    /// does not end with a 32-byte franking key.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> envelope, out byte[] frankedBytes, out byte[] fk)
    {
        if (!IsFranked(envelope))
        {
            frankedBytes = [];
            fk = [];
            return false;
        }
        frankedBytes = envelope[..^TrailerSize].ToArray();
        fk = envelope[^KeySize..].ToArray();
        return true;
    }

    /// <summary>True when <paramref name="envelope"/> is franked and its franking key commits to its franked bytes
    /// as <paramref name="commitment"/> (compared in constant time).</summary>
    public static bool Verify(ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> commitment)
    {
        if (!IsFranked(envelope) || commitment.Length != CommitmentSize)
        {
            return false;
        }
        byte[] expected = Commit(envelope[^KeySize..], envelope[..^TrailerSize]);
        return CryptographicOperations.FixedTimeEquals(expected, commitment);
    }

    /// <summary>The authenticated_data for a franked envelope the caller just encoded (with a franking key).</summary>
    public static byte[] AadFor(ReadOnlySpan<byte> frankedEnvelope)
    {
        if (!IsFranked(frankedEnvelope))
        {
            throw new ArgumentException("The envelope carries no franking key.", nameof(frankedEnvelope));
        }
        return EncodeAad(Commit(frankedEnvelope[^KeySize..], frankedEnvelope[..^TrailerSize]));
    }

    // optional<opaque<V>> of 32 bytes: present flag 0x01, MLS varint 32 = 0x20 (one byte, below 64), the key.
    private static bool IsFranked(ReadOnlySpan<byte> envelope)
        => envelope.Length > TrailerSize && envelope[^TrailerSize] == 0x01 && envelope[^(TrailerSize - 1)] == KeySize;
}
