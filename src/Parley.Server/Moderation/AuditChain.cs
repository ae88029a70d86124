// Parley audit log (docs/safety.md, "Audit chain"): the chain itself is Parley.Content's AuditHashChain, shared
// with the operator's client that re-checks it; this is its view over the server's AuditEntry.
using Parley.Content;

namespace Parley.Server.Moderation;

/// <summary>The hash chain over the audit log: each entry's hash covers the previous hash and the entry, so
/// changing, removing or reordering any entry changes every hash after it.</summary>
public static class AuditChain
{
    /// <summary>Bytes of a chain hash.</summary>
    public const int HashSize = AuditHashChain.HashSize;

    /// <summary>The hash before the first entry: 32 zero bytes.</summary>
    public static byte[] Genesis => AuditHashChain.Genesis;

    /// <summary>The hash of the entry with these fields that follows <paramref name="previous"/>.</summary>
    public static byte[] Next(ReadOnlySpan<byte> previous, long sequence, DateTimeOffset at, string action, string target, string reason)
        => AuditHashChain.Next(previous, sequence, at, action, target, reason);

    /// <summary>The hash of <paramref name="entry"/> recomputed from <paramref name="previous"/>.</summary>
    public static byte[] Next(ReadOnlySpan<byte> previous, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return AuditHashChain.Next(previous, entry.Sequence, entry.At, entry.Action, entry.Target, entry.Reason);
    }

    /// <summary>Checks <paramref name="entries"/> (consecutive, oldest first) against the chain, starting from
    /// <paramref name="previous"/> (the hash before the first of them; <see cref="Genesis"/> for the whole log).
    /// Returns the sequence of the first entry that does not fit, or null when every one does.</summary>
    public static long? FirstBroken(IReadOnlyList<AuditEntry> entries, ReadOnlySpan<byte> previous)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return AuditHashChain.FirstBroken(entries.Select(e => new AuditLink(e.Sequence, e.At, e.Action, e.Target, e.Reason, e.Hash)), previous);
    }
}
