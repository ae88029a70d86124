using Npgsql;
using Parley.Server.Moderation;

namespace Parley.Server.Storage.Postgres;

/// <summary>The audit log in PostgreSQL. Each append runs in a transaction of its own that first takes an
/// advisory lock, so appends from several nodes chain one after another; a trigger refuses UPDATE and DELETE.</summary>
internal sealed class PostgresAuditLog(PostgresDatabase database) : IAuditLog
{
    private const long AppendLock = 0x5061726c6579 + 8;

    public async Task<AuditEntry> AppendAsync(string action, string target, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync($"SELECT pg_advisory_xact_lock({AppendLock})", [], cancellationToken);
        var last = await connection.QueryAsync("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [],
            static r => (Sequence: r.GetInt64(0), Hash: (byte[])r[1]), cancellationToken);
        long sequence = last.Count == 0 ? 1 : last[0].Sequence + 1;
        byte[] previous = last.Count == 0 ? AuditChain.Genesis : last[0].Hash;
        // Milliseconds are what the chain covers, so that is what is kept.
        DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(database.Time.GetUtcNow().ToUnixTimeMilliseconds());
        byte[] hash = AuditChain.Next(previous, sequence, at, action, target, reason);
        await connection.ExecuteAsync("INSERT INTO audit_log (seq, at, action, target, reason, hash) VALUES ($1, $2, $3, $4, $5, $6)",
            [sequence, at.ToUnixTimeMilliseconds(), action, target, reason, hash], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AuditEntry(sequence, at, action, target, reason, hash);
    }

    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(long after, int limit, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync(
            "SELECT seq, at, action, target, reason, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", [after, limit],
            static r => new AuditEntry(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2),
                r.GetString(3), r.GetString(4), (byte[])r[5]), cancellationToken);
    }
}
