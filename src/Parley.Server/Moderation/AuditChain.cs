// Parley audit log (docs/safety.md, "Audit chain"):
//   hash_n = SHA-256(hash_{n-1} || uint64 seq || uint64 at_ms || opaque action<V> || opaque target<V> || opaque reason<V>)
//   hash_0 = 32 zero bytes
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Server.Moderation;

/// <summary>The hash chain over the audit log: each entry's hash covers the previous hash and the entry, so
/// changing, removing or reordering any entry changes every hash after it.</summary>
public static class AuditChain
{
    /// <summary>Bytes of a chain hash.</summary>
    public const int HashSize = 32;

    /// <summary>The hash before the first entry: 32 zero bytes.</summary>
    public static byte[] Genesis => new byte[HashSize];

    /// <summary>The hash of the entry with these fields that follows <paramref name="previous"/>.</summary>
    public static byte[] Next(ReadOnlySpan<byte> previous, long sequence, DateTimeOffset at, string action, string target, string reason)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        var w = new TlsWriter(96 + reason.Length);
        w.WriteBytes(previous);
        w.WriteUInt64((ulong)sequence);
        w.WriteUInt64((ulong)at.ToUnixTimeMilliseconds());
        w.WriteOpaque(Encoding.UTF8.GetBytes(action));
        w.WriteOpaque(Encoding.UTF8.GetBytes(target));
        w.WriteOpaque(Encoding.UTF8.GetBytes(reason));
        return SHA256.HashData(w.WrittenSpan);
    }

    /// <summary>The hash of <paramref name="entry"/> recomputed from <paramref name="previous"/>.</summary>
    public static byte[] Next(ReadOnlySpan<byte> previous, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Next(previous, entry.Sequence, entry.At, entry.Action, entry.Target, entry.Reason);
    }

    /// <summary>Checks <paramref name="entries"/> (consecutive, oldest first) against the chain, starting from
    /// <paramref name="previous"/> (the hash before the first of them; <see cref="Genesis"/> for the whole log).
    /// Returns the sequence of the first entry that does not fit, or null when every one does.</summary>
    public static long? FirstBroken(IReadOnlyList<AuditEntry> entries, ReadOnlySpan<byte> previous)
    {
        ArgumentNullException.ThrowIfNull(entries);
        byte[] hash = previous.ToArray();
        long? expectedSequence = null;
        foreach (AuditEntry entry in entries)
        {
            // Sequences are consecutive: a gap means an entry was removed.
            if (expectedSequence is { } expected && entry.Sequence != expected)
            {
                return entry.Sequence;
            }
            byte[] recomputed = Next(hash, entry);
            if (!CryptographicOperations.FixedTimeEquals(recomputed, entry.Hash))
            {
                return entry.Sequence;
            }
            hash = recomputed;
            expectedSequence = entry.Sequence + 1;
        }
        return null;
    }
}
