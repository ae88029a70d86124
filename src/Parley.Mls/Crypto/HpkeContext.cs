// RFC 9180 §5.2 (encryption and decryption with a context, sequence numbers) and §5.3 (secret export).
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>An HPKE encryption context: the sender's (Seal) or the recipient's (Open) side, and
/// Export on both. Not thread-safe; dispose it to wipe the key, base nonce and exporter secret.</summary>
public sealed class HpkeContext : IDisposable
{
    private readonly Hpke _hpke;
    private readonly byte[] _key;
    private readonly byte[] _baseNonce;
    private readonly byte[] _exporterSecret;
    private readonly bool _isSender;
    private ulong _sequenceNumber;
    private bool _disposed;

    internal HpkeContext(Hpke hpke, byte[] key, byte[] baseNonce, byte[] exporterSecret, bool isSender)
    {
        _hpke = hpke;
        _key = key;
        _baseNonce = baseNonce;
        _exporterSecret = exporterSecret;
        _isSender = isSender;
    }

    /// <summary>The sequence number of the next message.</summary>
    public ulong SequenceNumber => _sequenceNumber;

    internal ReadOnlySpan<byte> Key => _key;

    internal ReadOnlySpan<byte> BaseNonce => _baseNonce;

    internal ReadOnlySpan<byte> ExporterSecret => _exporterSecret;

    /// <summary>Encrypts the next message (sender side only).</summary>
    public byte[] Seal(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        ThrowIfUnusable(sender: true);
        Span<byte> nonce = stackalloc byte[_baseNonce.Length];
        ComputeNonce(nonce);
        byte[] ciphertext = new byte[plaintext.Length + Aead.TagLength];
        _hpke.Aead.Seal(_key, nonce, aad, plaintext, ciphertext);
        CryptographicOperations.ZeroMemory(nonce);
        IncrementSequenceNumber();
        return ciphertext;
    }

    /// <summary>Decrypts the next message (recipient side only); null when authentication fails,
    /// in which case the sequence number does not advance.</summary>
    public byte[]? Open(ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
    {
        ThrowIfUnusable(sender: false);
        if (ciphertext.Length < Aead.TagLength)
        {
            return null;
        }

        Span<byte> nonce = stackalloc byte[_baseNonce.Length];
        ComputeNonce(nonce);
        byte[] plaintext = new byte[ciphertext.Length - Aead.TagLength];
        bool opened = _hpke.Aead.Open(_key, nonce, aad, ciphertext, plaintext);
        CryptographicOperations.ZeroMemory(nonce);
        if (!opened)
        {
            return null;
        }

        IncrementSequenceNumber();
        return plaintext;
    }

    /// <summary>Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L).</summary>
    public byte[] Export(ReadOnlySpan<byte> exporterContext, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length < 0 || length > 255 * _hpke.Kdf.HashLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "An HPKE export is at most 255 * Nh bytes.");
        }

        byte[] output = new byte[length];
        _hpke.Kdf.LabeledExpand(_hpke.SuiteId, _exporterSecret, "sec"u8, exporterContext, output);
        return output;
    }

    /// <summary>Wipes the context's secrets.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            CryptographicOperations.ZeroMemory(_baseNonce);
            CryptographicOperations.ZeroMemory(_exporterSecret);
            _disposed = true;
        }
    }

    public override string ToString() => $"HpkeContext({(_isSender ? "sender" : "recipient")}, seq {_sequenceNumber})";

    /// <summary>nonce = base_nonce XOR I2OSP(seq, Nn).</summary>
    private void ComputeNonce(Span<byte> nonce)
    {
        _baseNonce.CopyTo(nonce);
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, _sequenceNumber);
        int offset = nonce.Length - 8;
        for (int i = 0; i < 8; i++)
        {
            nonce[offset + i] ^= seq[i];
        }
    }

    private void IncrementSequenceNumber()
    {
        // Nn is 12 bytes, so the RFC's limit of 2^96 - 1 lies beyond any 64-bit counter.
        _sequenceNumber++;
    }

    private void ThrowIfUnusable(bool sender)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_isSender != sender)
        {
            throw new InvalidOperationException(sender ? "Only the sender's HPKE context can seal." : "Only the recipient's HPKE context can open.");
        }

        if (_hpke.Aead.Id == ExportOnlyAead.Instance.Id)
        {
            throw new InvalidOperationException("This HPKE context is export-only.");
        }

        if (_sequenceNumber == ulong.MaxValue)
        {
            // RFC 9180 §5.2 MessageLimitReachedError.
            throw new CryptographicException("The HPKE context has reached its message limit.");
        }
    }
}
