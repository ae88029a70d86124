// RFC 9420 §9.1 (sender ratchets) and §9.2 (deletion schedule):
//   ratchet_key_[N]_[j]      = DeriveTreeSecret(ratchet_secret_[N]_[j], "key", j, AEAD.Nk)
//   ratchet_nonce_[N]_[j]    = DeriveTreeSecret(ratchet_secret_[N]_[j], "nonce", j, AEAD.Nn)
//   ratchet_secret_[N]_[j+1] = DeriveTreeSecret(ratchet_secret_[N]_[j], "secret", j, KDF.Nh)
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Tree;

namespace Parley.Mls.KeySchedule;

/// <summary>One sender ratchet of a leaf: the secret at the next unused generation, and the keys of
/// skipped generations retained for out-of-order delivery (at most <see cref="SecretTree.MaxSkippedKeys"/>,
/// oldest evicted first). Every key is handed out at most once; <see cref="TryOpen"/> lets a receiver try a
/// key without consuming it.</summary>
internal sealed class HashRatchet : IDisposable
{
    private readonly CipherSuite _suite;
    private byte[] _secret;
    private uint _generation;
    private SortedList<uint, RatchetKey>? _retained;

    // Takes ownership of secret.
    internal HashRatchet(CipherSuite suite, byte[] secret, uint generation = 0)
    {
        _suite = suite;
        _secret = secret;
        _generation = generation;
    }

    /// <summary>The next generation whose key has not been derived yet.</summary>
    internal uint Generation => _generation;

    internal int RetainedCount => _retained?.Count ?? 0;

    /// <summary>The key of the next generation; the ratchet moves past it.</summary>
    internal RatchetKey Next(LeafIndex leaf, RatchetType type) => DeriveAndAdvance(leaf, type);

    /// <summary>The key of <paramref name="generation"/>, ratcheting forward (and retaining the
    /// skipped keys) when it lies ahead, or taking a retained key when it lies behind.</summary>
    internal RatchetKey Get(uint generation, LeafIndex leaf, RatchetType type)
    {
        if (generation < _generation)
        {
            int index = _retained?.IndexOfKey(generation) ?? -1;
            if (index < 0)
            {
                throw new MlsProtocolException(MlsError.GenerationUnavailable,
                    $"The {Describe(type)} key for generation {generation} of {leaf} was already used or has expired.");
            }
            var key = _retained!.Values[index];
            _retained.RemoveAt(index);
            return key;
        }

        CheckReachable(generation, leaf, type);
        while (_generation < generation)
        {
            // Only the newest MaxSkippedKeys skipped keys could be retained, so derive keys for those alone.
            if (generation - _generation <= SecretTree.MaxSkippedKeys)
            {
                Retain(DeriveAndAdvance(leaf, type));
            }
            else
            {
                Advance(leaf, type);
            }
        }
        return DeriveAndAdvance(leaf, type);
    }

    /// <summary>Passes the key of <paramref name="generation"/> to <paramref name="use"/> without changing the
    /// ratchet, then consumes it (removing a retained key, or moving the ratchet past it and retaining the keys
    /// it skipped) only when <paramref name="use"/> returns true. The key is disposed when this returns.
    /// Throws <see cref="MlsProtocolException"/>, with the ratchet unchanged, for a generation already used,
    /// evicted or too far ahead.</summary>
    internal bool TryOpen(uint generation, LeafIndex leaf, RatchetType type, Func<RatchetKey, bool> use)
    {
        if (generation < _generation)
        {
            int index = _retained?.IndexOfKey(generation) ?? -1;
            if (index < 0)
            {
                throw new MlsProtocolException(MlsError.GenerationUnavailable,
                    $"The {Describe(type)} key for generation {generation} of {leaf} was already used or has expired.");
            }
            var retained = _retained!.Values[index];
            if (!use(retained))
            {
                return false;
            }
            _retained.Remove(generation);
            retained.Dispose();
            return true;
        }

        CheckReachable(generation, leaf, type);
        // Walk a copy of the ratchet secret forward, keeping the secrets of the skipped generations whose
        // keys would be retained; the keys themselves are derived only if the message authenticates.
        int nh = _suite.HashLength;
        uint distance = generation - _generation;
        int kept = (int)Math.Min(distance, (uint)SecretTree.MaxSkippedKeys);
        byte[] skipped = ArrayPool<byte>.Shared.Rent(Math.Max(1, kept * nh));
        byte[] walk = ArrayPool<byte>.Shared.Rent(2 * nh);
        Span<byte> current = walk.AsSpan(0, nh);
        Span<byte> next = walk.AsSpan(nh, nh);
        RatchetKey? key = null;
        try
        {
            _secret.CopyTo(current);
            for (uint g = _generation; g < generation; g++)
            {
                uint behind = generation - g;
                if (behind <= (uint)kept)
                {
                    current.CopyTo(skipped.AsSpan((kept - (int)behind) * nh, nh));
                }
                DeriveTreeSecret(_suite, current, "secret"u8, g, next);
                next.CopyTo(current);
            }
            key = DeriveKey(current, generation);
            if (!use(key))
            {
                return false;
            }

            // Commit: retain the skipped keys (oldest first, so the newest survive eviction), then move past
            // the generation just used.
            for (int i = 0; i < kept; i++)
            {
                Retain(DeriveKey(skipped.AsSpan(i * nh, nh), generation - (uint)(kept - i)));
            }
            byte[] following = new byte[nh];
            DeriveTreeSecret(_suite, current, "secret"u8, generation, following);
            CryptographicOperations.ZeroMemory(_secret);
            _secret = following;
            _generation = generation + 1;
            return true;
        }
        finally
        {
            key?.Dispose();
            CryptographicOperations.ZeroMemory(skipped.AsSpan(0, kept * nh));
            CryptographicOperations.ZeroMemory(walk.AsSpan(0, 2 * nh));
            ArrayPool<byte>.Shared.Return(skipped);
            ArrayPool<byte>.Shared.Return(walk);
        }
    }

    internal void Encode(TlsWriter writer)
    {
        writer.WriteUInt32(_generation);
        writer.WriteOpaque(_secret);
        writer.WriteVector(w =>
        {
            if (_retained is null)
            {
                return;
            }
            foreach (var (generation, key) in _retained)
            {
                w.WriteUInt32(generation);
                w.WriteOpaque(key.Key);
                w.WriteOpaque(key.Nonce);
            }
        });
    }

    internal static HashRatchet Decode(TlsReader reader, CipherSuite suite)
    {
        uint generation = reader.ReadUInt32();
        byte[] secret = reader.ReadOpaque();
        var ratchet = new HashRatchet(suite, secret, generation);
        try
        {
            if (secret.Length != suite.HashLength)
            {
                throw new MlsDecodeException($"A stored ratchet secret has {secret.Length} bytes, expected {suite.HashLength}.");
            }
            reader.ReadVector(r =>
            {
                while (!r.AtEnd)
                {
                    uint g = r.ReadUInt32();
                    byte[] keyBytes = r.ReadOpaque();
                    byte[] nonceBytes;
                    try
                    {
                        nonceBytes = r.ReadOpaque();
                    }
                    catch
                    {
                        CryptographicOperations.ZeroMemory(keyBytes);
                        throw;
                    }
                    var key = new RatchetKey(g, keyBytes, nonceBytes);
                    if (key.Key.Length != suite.AeadKeyLength || key.Nonce.Length != suite.AeadNonceLength)
                    {
                        key.Dispose();
                        throw new MlsDecodeException("A stored ratchet key or nonce has the wrong length.");
                    }
                    bool ordered = ratchet._retained is null || ratchet._retained.Keys[^1] < g;
                    if (!ordered || g >= generation || ratchet.RetainedCount >= SecretTree.MaxSkippedKeys)
                    {
                        key.Dispose();
                        throw new MlsDecodeException("Stored retained ratchet keys are out of order or too many.");
                    }
                    (ratchet._retained ??= new SortedList<uint, RatchetKey>()).Add(g, key);
                }
                return true;
            });
            return ratchet;
        }
        catch
        {
            ratchet.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_secret);
        if (_retained is not null)
        {
            foreach (var key in _retained.Values)
            {
                key.Dispose();
            }
            _retained.Clear();
        }
    }

    // A generation at or after the ratchet's must be within MaxForwardDistance, and not the last one a
    // uint32 counts (using it would need the ratchet to advance past uint.MaxValue).
    private void CheckReachable(uint generation, LeafIndex leaf, RatchetType type)
    {
        if (generation - _generation > SecretTree.MaxForwardDistance)
        {
            throw new MlsProtocolException(MlsError.GenerationTooFarAhead,
                $"Generation {generation} of {leaf} is more than {SecretTree.MaxForwardDistance} generations ahead of the {Describe(type)} ratchet (at {_generation}).");
        }
        if (generation == uint.MaxValue)
        {
            throw new MlsProtocolException(MlsError.RatchetExhausted, $"The {Describe(type)} ratchet of {leaf} is exhausted.");
        }
    }

    private RatchetKey DeriveKey(ReadOnlySpan<byte> secret, uint generation)
    {
        byte[] key = new byte[_suite.AeadKeyLength];
        byte[] nonce = new byte[_suite.AeadNonceLength];
        DeriveTreeSecret(_suite, secret, "key"u8, generation, key);
        DeriveTreeSecret(_suite, secret, "nonce"u8, generation, nonce);
        return new RatchetKey(generation, key, nonce);
    }

    private RatchetKey DeriveAndAdvance(LeafIndex leaf, RatchetType type)
    {
        EnsureCanAdvance(leaf, type);
        uint generation = _generation;
        byte[] key = DeriveTreeSecret(_suite, _secret, "key"u8, generation, _suite.AeadKeyLength);
        byte[] nonce = DeriveTreeSecret(_suite, _secret, "nonce"u8, generation, _suite.AeadNonceLength);
        Advance(leaf, type);
        return new RatchetKey(generation, key, nonce);
    }

    private void Advance(LeafIndex leaf, RatchetType type)
    {
        EnsureCanAdvance(leaf, type);
        byte[] next = DeriveTreeSecret(_suite, _secret, "secret"u8, _generation, _suite.HashLength);
        CryptographicOperations.ZeroMemory(_secret);
        _secret = next;
        _generation++;
    }

    private void EnsureCanAdvance(LeafIndex leaf, RatchetType type)
    {
        if (_generation == uint.MaxValue)
        {
            throw new MlsProtocolException(MlsError.RatchetExhausted, $"The {Describe(type)} ratchet of {leaf} is exhausted.");
        }
    }

    private void Retain(RatchetKey key)
    {
        _retained ??= new SortedList<uint, RatchetKey>();
        if (_retained.Count >= SecretTree.MaxSkippedKeys)
        {
            _retained.Values[0].Dispose();
            _retained.RemoveAt(0);
        }
        _retained.Add(key.Generation, key);
    }

    // DeriveTreeSecret(Secret, Label, Generation, Length) = ExpandWithLabel(Secret, Label, uint32 Generation, Length),
    // with the KDFLabel built on the stack: this runs three times per message protected or opened.
    private static byte[] DeriveTreeSecret(CipherSuite suite, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, uint generation, int length)
    {
        byte[] output = new byte[length];
        DeriveTreeSecret(suite, secret, label, generation, output);
        return output;
    }

    private static void DeriveTreeSecret(CipherSuite suite, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> label, uint generation, Span<byte> output)
    {
        int length = output.Length;
        ReadOnlySpan<byte> prefix = "MLS 1.0 "u8;
        int labelLength = prefix.Length + label.Length;
        Debug.Assert(labelLength < 0x40, "A one-byte varint holds the label length.");
        Span<byte> info = stackalloc byte[2 + 1 + labelLength + 1 + 4];
        BinaryPrimitives.WriteUInt16BigEndian(info, checked((ushort)length));
        info[2] = (byte)labelLength;
        prefix.CopyTo(info[3..]);
        label.CopyTo(info[(3 + prefix.Length)..]);
        info[3 + labelLength] = 4;
        BinaryPrimitives.WriteUInt32BigEndian(info[(4 + labelLength)..], generation);
        suite.KdfExpand(secret, info, output);
    }

    private static string Describe(RatchetType type) => type == RatchetType.Handshake ? "handshake" : "application";
}
