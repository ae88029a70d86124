// RFC 9420 §6.3.2 and §9.2 (a sender's key is deleted once used, so a member cannot decrypt its own
// PrivateMessages) and §14 (the delivery service may echo a member's messages back to it).
using System.Security.Cryptography;
using Parley.Mls.Codec;

namespace Parley.Mls.Group;

/// <summary>Fingerprints (the first 128 bits of SHA-256 over the encoded MLSMessage) of the messages this
/// member sent in the current and the previous epoch, so that the delivery service's echo of one is
/// recognized as this member's own instead of failing to decrypt. Only byte-identical copies match, and
/// matching never touches the secret tree: replay protection for other senders is unchanged.</summary>
internal sealed class SentMessageLog
{
    /// <summary>At most this many messages are remembered per epoch; older echoes then fail as before.</summary>
    public const int LimitPerEpoch = 1 << 16;

    private readonly Generation _current = new();
    private readonly Generation _previous = new();
    private ulong _epoch;

    public SentMessageLog(ulong epoch) => _epoch = epoch;

    /// <summary>Whether nothing is remembered (no fingerprint needs computing).</summary>
    public bool IsEmpty => _current.Count == 0 && _previous.Count == 0;

    /// <summary>Remembers a message this member sent in <paramref name="epoch"/> (the group's current epoch).</summary>
    public void Record(ulong epoch, ReadOnlySpan<byte> message)
    {
        if (epoch != _epoch)
        {
            MoveTo(epoch);
        }
        _current.Add(Fingerprint(message));
    }

    /// <summary>Forgets a message this member sent in the current epoch (a Commit it discarded), so that an
    /// echo of it is not taken for an accepted message of its own.</summary>
    public void Forget(ReadOnlySpan<byte> message) => _current.Remove(Fingerprint(message));

    /// <summary>Whether <paramref name="message"/> is byte for byte one this member sent in the current or previous epoch.</summary>
    public bool Contains(ReadOnlySpan<byte> message)
    {
        if (IsEmpty)
        {
            return false;
        }
        var fingerprint = Fingerprint(message);
        return _current.Contains(fingerprint) || _previous.Contains(fingerprint);
    }

    /// <summary>Follows the group to <paramref name="epoch"/>: the current epoch's messages become the previous
    /// epoch's when it is the next one, and everything is forgotten otherwise.</summary>
    public void MoveTo(ulong epoch)
    {
        if (epoch == _epoch)
        {
            return;
        }
        _previous.Clear();
        if (epoch == _epoch + 1)
        {
            _previous.TakeFrom(_current);
        }
        _current.Clear();
        _epoch = epoch;
    }

    public void Encode(TlsWriter w)
    {
        w.WriteUInt64(_epoch);
        _current.Encode(w);
        _previous.Encode(w);
    }

    public static SentMessageLog Decode(TlsReader r)
    {
        var log = new SentMessageLog(r.ReadUInt64());
        log._current.Decode(r);
        log._previous.Decode(r);
        return log;
    }

    private static UInt128 Fingerprint(ReadOnlySpan<byte> message)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(message, hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(hash);
    }

    // One epoch's fingerprints, oldest first, bounded by LimitPerEpoch.
    private sealed class Generation
    {
        private readonly HashSet<UInt128> _set = new();
        private readonly Queue<UInt128> _order = new();

        public int Count => _set.Count;

        public void Add(UInt128 fingerprint)
        {
            if (!_set.Add(fingerprint))
            {
                return;
            }
            _order.Enqueue(fingerprint);
            if (_order.Count > LimitPerEpoch)
            {
                _set.Remove(_order.Dequeue());
            }
        }

        public bool Contains(UInt128 fingerprint) => _set.Contains(fingerprint);

        // The queue keeps the removed entry until it is dequeued; Live skips it.
        public void Remove(UInt128 fingerprint) => _set.Remove(fingerprint);

        public void Clear()
        {
            _set.Clear();
            _order.Clear();
        }

        public void TakeFrom(Generation other)
        {
            foreach (var f in other.Live())
            {
                Add(f);
            }
        }

        public void Encode(TlsWriter w)
            => w.WriteVector(Live(), static (w2, f) =>
            {
                w2.WriteUInt64((ulong)(f >> 64));
                w2.WriteUInt64((ulong)f);
            });

        // The remembered fingerprints, oldest first, each once.
        private IEnumerable<UInt128> Live() => _order.Where(_set.Contains).Distinct();

        public void Decode(TlsReader r)
            => r.ReadVector(inner =>
            {
                while (!inner.AtEnd)
                {
                    ulong high = inner.ReadUInt64();
                    Add(((UInt128)high << 64) | inner.ReadUInt64());
                }
                return true;
            });
    }
}
