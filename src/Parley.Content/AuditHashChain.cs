// Parley audit log (docs/safety.md, "Audit chain"):
//   hash_n = SHA-256(hash_{n-1} || uint64 seq || uint64 at_ms || opaque action<V> || opaque target<V> || opaque reason<V>)
//   hash_0 = 32 zero bytes
// Computed only here: the server writes the chain with it and the operator's client re-checks it with it.
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>One audit log entry as the hash chain covers it, with the hash the log recorded for it.</summary>
public readonly record struct AuditLink(long Sequence, DateTimeOffset At, string Action, string Target, string Reason, byte[] Hash);

/// <summary>The hash chain over the audit log: each entry's hash covers the previous hash and the entry, so
/// changing, removing or reordering any entry changes every hash after it.</summary>
public static class AuditHashChain
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

    /// <summary>Checks <paramref name="entries"/> (consecutive, oldest first) against the chain, starting from
    /// <paramref name="previous"/> (the hash before the first of them; <see cref="Genesis"/> for the whole log) and,
    /// when given, <paramref name="firstSequence"/> (1 for the whole log). Returns the sequence of the first entry that
    /// does not fit, or null when every one does.</summary>
    public static long? FirstBroken(IEnumerable<AuditLink> entries, ReadOnlySpan<byte> previous, long? firstSequence = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        byte[] hash = previous.ToArray();
        long? expectedSequence = firstSequence;
        foreach (AuditLink entry in entries)
        {
            // Sequences are consecutive: a gap means an entry was removed.
            if (expectedSequence is { } expected && entry.Sequence != expected)
            {
                return entry.Sequence;
            }
            byte[] recomputed = Next(hash, entry.Sequence, entry.At, entry.Action, entry.Target, entry.Reason);
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
