using Parley.Server.Moderation;

namespace Parley.Server.Storage.Shared;

/// <summary>The audit log. Each append reads the last link and inserts the next as a write in turn
/// (<see cref="SqlEngine.WriteInTurnAsync{T}"/>), so appends from any node chain one after another; the schema's
/// triggers refuse any UPDATE or DELETE.</summary>
internal sealed class SqlAuditLog(SqlEngine engine) : IAuditLog
{
    private const long AppendLock = 0x5061726c6579 + 8;

    public Task<AuditEntry> AppendAsync(string action, string target, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        return engine.WriteInTurnAsync(AppendLock, async db =>
        {
            var last = await db.QueryAsync("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                static r => (Sequence: r.GetInt64(0), Hash: (byte[])r[1]));
            long sequence = last.Count == 0 ? 1 : last[0].Sequence + 1;
            byte[] previous = last.Count == 0 ? AuditChain.Genesis : last[0].Hash;
            // Milliseconds are what the chain covers, so that is what is kept.
            DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(engine.Time.GetUtcNow().ToUnixTimeMilliseconds());
            byte[] hash = AuditChain.Next(previous, sequence, at, action, target, reason);
            await db.ExecuteAsync("INSERT INTO audit_log (seq, at, action, target, reason, hash) VALUES ($1, $2, $3, $4, $5, $6)",
                sequence, at.ToUnixTimeMilliseconds(), action, target, reason, hash);
            return new AuditEntry(sequence, at, action, target, reason, hash);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAsync(long after, int limit, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<AuditEntry>>(async db => await db.QueryAsync(
            "SELECT seq, at, action, target, reason, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            static r => new AuditEntry(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2),
                r.GetString(3), r.GetString(4), (byte[])r[5]), after, limit), cancellationToken);
}
