// Safety numbers (docs/client-envelope.md, "Safety numbers"), version 1.
//
//   fingerprint(u, k):  h = SHA-512("Parley safety number v1" || 0x00 || uint16(len u) || u || uint16(len k) || k)
//                       repeat 5200 times: h = SHA-512(h || k)
//   digits(u, k):       for i in 0..5: uint40_be(h[5i .. 5i+5]) mod 100000, as 5 digits   -> 30 digits
//   safety number:      the two 30-digit strings in ascending order, concatenated           -> 60 digits
//   QR payload:         0x01 || h_first[0..32] || h_second[0..32], in the same order         -> 65 bytes
//
// u is the lower-case user name in UTF-8, k the 32-byte account identity public key. Sorting makes both
// sides compute the same number; the iterations make finding a key with a chosen number expensive.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Client.Identity;

/// <summary>A comparable fingerprint of two accounts' identity keys: 60 digits in 12 groups of 5, and a QR
/// payload. Both accounts compute the same value.</summary>
public sealed class SafetyNumber
{
    /// <summary>The construction's version, first byte of the QR payload.</summary>
    public const byte Version = 1;

    /// <summary>SHA-512 iterations per fingerprint.</summary>
    public const int Iterations = 5200;

    private const int FingerprintBytes = 32;
    private static readonly byte[] Label = "Parley safety number v1\0"u8.ToArray();

    private readonly byte[] _qrPayload;

    private SafetyNumber(string digits, byte[] qrPayload)
    {
        Digits = digits;
        _qrPayload = qrPayload;
    }

    /// <summary>The 60 digits.</summary>
    public string Digits { get; }

    /// <summary>The 12 groups of 5 digits.</summary>
    public IReadOnlyList<string> Groups => Enumerable.Range(0, 12).Select(i => Digits.Substring(i * 5, 5)).ToArray();

    /// <summary>The QR code payload: version byte and both fingerprints.</summary>
    public byte[] QrPayload => (byte[])_qrPayload.Clone();

    /// <summary>The QR payload in base64 (what the QR code encodes as text).</summary>
    public string QrPayloadBase64 => Convert.ToBase64String(_qrPayload);

    /// <summary>Computes the safety number of two accounts from their user names and identity public keys.</summary>
    public static SafetyNumber Compute(string localUsername, ReadOnlySpan<byte> localIdentityKey, string remoteUsername, ReadOnlySpan<byte> remoteIdentityKey)
    {
        var (localDigits, localHash) = Fingerprint(localUsername, localIdentityKey);
        var (remoteDigits, remoteHash) = Fingerprint(remoteUsername, remoteIdentityKey);
        bool localFirst = string.CompareOrdinal(localDigits, remoteDigits) switch
        {
            < 0 => true,
            > 0 => false,
            _ => localHash.AsSpan().SequenceCompareTo(remoteHash) <= 0,
        };
        var (first, second) = localFirst ? (localDigits, remoteDigits) : (remoteDigits, localDigits);
        var (firstHash, secondHash) = localFirst ? (localHash, remoteHash) : (remoteHash, localHash);
        byte[] payload = new byte[1 + 2 * FingerprintBytes];
        payload[0] = Version;
        firstHash.AsSpan(0, FingerprintBytes).CopyTo(payload.AsSpan(1));
        secondHash.AsSpan(0, FingerprintBytes).CopyTo(payload.AsSpan(1 + FingerprintBytes));
        return new SafetyNumber(first + second, payload);
    }

    /// <summary>True when a scanned QR payload (the other side's) is this one.</summary>
    public bool Matches(ReadOnlySpan<byte> scannedPayload)
        => scannedPayload.Length == _qrPayload.Length && CryptographicOperations.FixedTimeEquals(scannedPayload, _qrPayload);

    /// <summary>True when a scanned base64 QR payload is this one; false for anything unreadable.</summary>
    public bool Matches(string scannedBase64)
    {
        byte[] scanned = new byte[_qrPayload.Length + 3];
        return Convert.TryFromBase64String(scannedBase64 ?? "", scanned, out int written) && Matches(scanned.AsSpan(0, written));
    }

    /// <summary>The digits in 12 groups of 5, separated by spaces.</summary>
    public override string ToString() => string.Join(' ', Groups);

    private static (string Digits, byte[] Hash) Fingerprint(string username, ReadOnlySpan<byte> identityKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        if (identityKey.Length != AccountIdentityKey.PublicKeySize)
        {
            throw new ArgumentException("An account identity public key is 32 bytes.", nameof(identityKey));
        }
        byte[] name = Encoding.UTF8.GetBytes(username.ToLowerInvariant());
        if (name.Length > ushort.MaxValue)
        {
            throw new ArgumentException("The user name is too long.", nameof(username));
        }
        byte[] input = new byte[Label.Length + 2 + name.Length + 2 + identityKey.Length];
        int at = 0;
        Label.CopyTo(input, at);
        at += Label.Length;
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(at), (ushort)name.Length);
        at += 2;
        name.CopyTo(input, at);
        at += name.Length;
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(at), (ushort)identityKey.Length);
        at += 2;
        identityKey.CopyTo(input.AsSpan(at));

        byte[] hash = SHA512.HashData(input);
        byte[] round = new byte[hash.Length + identityKey.Length];
        identityKey.CopyTo(round.AsSpan(hash.Length));
        for (int i = 0; i < Iterations; i++)
        {
            hash.CopyTo(round, 0);
            SHA512.HashData(round, hash);
        }

        var digits = new StringBuilder(30);
        for (int i = 0; i < 6; i++)
        {
            ulong chunk = 0;
            for (int j = 0; j < 5; j++)
            {
                chunk = (chunk << 8) | hash[i * 5 + j];
            }
            digits.Append((chunk % 100000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        }
        return (digits.ToString(), hash);
    }
}
