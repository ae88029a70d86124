// Parley audit log (docs/safety.md, "Audit chain"), checked on the operator's side with the same chain the server
// writes (Parley.Content's AuditHashChain).
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client.Moderation;

/// <summary>Recomputes the audit log's hash chain, so the operator sees whether an entry was changed, removed or
/// reordered since it was written.</summary>
public static class AuditChain
{
    /// <summary>The sequence of the first entry of the whole log (oldest first, from the first entry) that does not
    /// follow from the ones before it, or null when the chain is intact.</summary>
    public static long? FirstBroken(IReadOnlyList<AuditEntryResponse> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        // Sequences start at 1: a log that starts later lost its first entries.
        return AuditHashChain.FirstBroken(entries.Select(e => new AuditLink(e.Sequence, e.At, e.Action, e.Target, e.Reason, e.Hash)),
            AuditHashChain.Genesis, firstSequence: 1);
    }
}
