// Parley audit log (docs/safety.md, "Audit chain"), checked on the operator's side:
//   hash_n = SHA-256(hash_{n-1} || uint64 seq || uint64 at_ms || opaque action<V> || opaque target<V> || opaque reason<V>)
//   hash_0 = 32 zero bytes
using System.Security.Cryptography;
using System.Text;
using Parley.Client.Network;
using Parley.Mls.Codec;

namespace Parley.Client.Moderation;

/// <summary>Recomputes the audit log's hash chain, so the operator sees whether an entry was changed, removed or
/// reordered since it was written.</summary>
public static class AuditChain
{
    /// <summary>The hash of an entry with these fields after <paramref name="previous"/>.</summary>
    public static byte[] Next(ReadOnlySpan<byte> previous, long sequence, DateTimeOffset at, string action, string target, string reason)
    {
        var w = new TlsWriter(96 + reason.Length);
        w.WriteBytes(previous);
        w.WriteUInt64((ulong)sequence);
        w.WriteUInt64((ulong)at.ToUnixTimeMilliseconds());
        w.WriteOpaque(Encoding.UTF8.GetBytes(action));
        w.WriteOpaque(Encoding.UTF8.GetBytes(target));
        w.WriteOpaque(Encoding.UTF8.GetBytes(reason));
        return SHA256.HashData(w.WrittenSpan);
    }

    /// <summary>The sequence of the first entry of the whole log (oldest first, from the first entry) that does not
    /// follow from the ones before it, or null when the chain is intact.</summary>
    public static long? FirstBroken(IReadOnlyList<AuditEntryResponse> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        byte[] hash = new byte[32];
        long expected = 1;
        foreach (var entry in entries)
        {
            // Sequences start at 1 and are consecutive: a gap means an entry was removed.
            if (entry.Sequence != expected)
            {
                return entry.Sequence;
            }
            byte[] recomputed = Next(hash, entry.Sequence, entry.At, entry.Action, entry.Target, entry.Reason);
            if (!CryptographicOperations.FixedTimeEquals(recomputed, entry.Hash))
            {
                return entry.Sequence;
            }
            hash = recomputed;
            expected++;
        }
        return null;
    }
}
