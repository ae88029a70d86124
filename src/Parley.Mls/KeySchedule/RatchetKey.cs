// RFC 9420 §9.1 (encryption keys): ratchet_key_[N]_[j] and ratchet_nonce_[N]_[j].
using System.Security.Cryptography;

namespace Parley.Mls.KeySchedule;

/// <summary>One single-use AEAD key and nonce of a sender ratchet, with its generation. The caller
/// owns it once handed out and should dispose it (zeroing the key and nonce) after use.</summary>
public sealed class RatchetKey : IDisposable
{
    private readonly byte[] _key;
    private readonly byte[] _nonce;
    private bool _disposed;

    // Takes ownership of both arrays.
    internal RatchetKey(uint generation, byte[] key, byte[] nonce)
    {
        Generation = generation;
        _key = key;
        _nonce = nonce;
    }

    /// <summary>The position j of this key in its ratchet.</summary>
    public uint Generation { get; }

    /// <summary>The AEAD key (AEAD.Nk bytes).</summary>
    public ReadOnlySpan<byte> Key
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>The AEAD nonce (AEAD.Nn bytes), before the reuse guard is applied.</summary>
    public ReadOnlySpan<byte> Nonce
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _nonce;
        }
    }

    /// <summary>Zeroes the key and nonce.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_key);
            CryptographicOperations.ZeroMemory(_nonce);
        }
    }

    public override string ToString() => $"RatchetKey(generation {Generation})";
}
