namespace Parley.Server.Moderation;

/// <summary>One operator action in the append-only audit log; <see cref="Hash"/> chains it to every
/// entry before it (docs/safety.md, "Audit chain").</summary>
public sealed record AuditEntry(long Sequence, DateTimeOffset At, string Action, string Target, string Reason, byte[] Hash);

/// <summary>The append-only, hash-chained log of operator actions ("report.close", "account.suspend",
/// "account.restore", "public_channel.takedown", "public_channel.restore", "public_post.takedown").</summary>
public interface IAuditLog
{
    /// <summary>Appends an action with the next sequence number and chained hash, and returns the stored entry.</summary>
    Task<AuditEntry> AppendAsync(string action, string target, string reason, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> entries with a sequence above <paramref name="after"/>, oldest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAsync(long after, int limit, CancellationToken cancellationToken);
}
