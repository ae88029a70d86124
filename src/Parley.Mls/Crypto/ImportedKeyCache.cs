// RFC 9420 §5.1.2 (signing): a member signs every message, proposal, commit and key package with one
// long-lived signature key, so the imported form of that key (and its public key, which Ed25519, Ed448
// and ECDSA all recompute from the private scalar on import) is worth keeping between signatures; and
// it verifies the signatures of the same few group members over and over, so are their public keys
// where importing one costs as much as verifying (ECDSA, whose import validates the point).
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>Holds the imported forms of the last few keys used, so that using one again skips the import.
/// Entries are found by an HMAC-SHA256 of the serialized key under a random per-process key: for a private
/// key, the cache keeps no copy of its bytes beside the imported object, and its index says nothing about
/// them. At most <see cref="Capacity"/> entries; the least recently used is released (disposed) on eviction.</summary>
/// <remarks>Thread-safe. An entry is taken out while a caller uses it and put back afterwards, so no
/// imported key is ever used by two threads at once or disposed while in use.</remarks>
internal sealed class ImportedKeyCache<T> where T : class
{
    /// <summary>How many private keys a signature scheme keeps imported.</summary>
    public const int DefaultCapacity = 16;

    private readonly byte[] _tagKey = RandomNumberGenerator.GetBytes(32);
    private readonly Action<T>? _release;
    private readonly Lock _lock = new();
    // Most recently used last; a handful of entries, so a list beats a dictionary.
    private readonly List<(KeyTag Tag, T Item)> _entries;
    private long _clears;

    /// <summary>Creates a cache of <paramref name="capacity"/> entries that calls <paramref name="release"/>
    /// on each entry it evicts or clears (for example to dispose an imported key).</summary>
    public ImportedKeyCache(Action<T>? release, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _release = release;
        Capacity = capacity;
        _entries = new List<(KeyTag, T)>(capacity);
    }

    /// <summary>How many entries are kept at most.</summary>
    public int Capacity { get; }

    /// <summary>The number of entries held (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Takes the entry for <paramref name="serializedKey"/> out of the cache: the lease's
    /// <see cref="Lease.Item"/> is null when none is held, and the caller then imports the key itself.
    /// Either way the caller has the item to itself until it gives it back with <see cref="Return"/>.</summary>
    public Lease Take(ReadOnlySpan<byte> serializedKey)
    {
        var tag = TagOf(serializedKey);
        lock (_lock)
        {
            int i = IndexOf(tag);
            if (i < 0)
            {
                return new Lease(tag, _clears, null);
            }
            var item = _entries[i].Item;
            _entries.RemoveAt(i);
            return new Lease(tag, _clears, item);
        }
    }

    /// <summary>Puts <paramref name="item"/> (the leased one, or the one the caller imported) back as the
    /// most recently used entry, evicting the least recently used one when full. It is released instead
    /// when the cache was cleared since the lease was taken, or when another caller has meanwhile put back
    /// an entry for the same key (two threads signing with one key).</summary>
    public void Return(Lease lease, T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        T? released = null;
        lock (_lock)
        {
            if (lease.Clears != _clears || IndexOf(lease.Tag) >= 0)
            {
                released = item;
            }
            else
            {
                if (_entries.Count >= Capacity)
                {
                    released = _entries[0].Item;
                    _entries.RemoveAt(0);
                }
                _entries.Add((lease.Tag, item));
            }
        }
        if (released is not null)
        {
            _release?.Invoke(released);
        }
    }

    /// <summary>Releases every entry; entries leased out at the time are released when given back.</summary>
    public void Clear()
    {
        T[] items;
        lock (_lock)
        {
            _clears++;
            items = _entries.Select(e => e.Item).ToArray();
            _entries.Clear();
        }
        foreach (var item in items)
        {
            _release?.Invoke(item);
        }
    }

    // Called under the lock.
    private int IndexOf(KeyTag tag)
    {
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Tag == tag)
            {
                return i;
            }
        }
        return -1;
    }

    private KeyTag TagOf(ReadOnlySpan<byte> serializedKey)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_tagKey, serializedKey, mac);
        var tag = new KeyTag(BinaryPrimitives.ReadUInt128LittleEndian(mac), BinaryPrimitives.ReadUInt128LittleEndian(mac[16..]));
        CryptographicOperations.ZeroMemory(mac);
        return tag;
    }

    /// <summary>An entry taken out of the cache (<see cref="Item"/> null on a miss), to give back with
    /// <see cref="Return"/>.</summary>
    public readonly record struct Lease(KeyTag Tag, long Clears, T? Item)
    {
        public override string ToString() => $"Lease({(Item is null ? "miss" : "hit")})";
    }

    /// <summary>An HMAC-SHA256 of a serialized key, as two 128-bit halves.</summary>
    public readonly record struct KeyTag(UInt128 Low, UInt128 High)
    {
        // May be derived from a private key: never printed.
        public override string ToString() => "KeyTag";
    }
}
