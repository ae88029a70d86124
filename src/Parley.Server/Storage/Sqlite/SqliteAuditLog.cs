using Microsoft.Data.Sqlite;
using Parley.Server.Moderation;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The audit log in SQLite. Appends go through the single writer, so each reads the last hash and
/// inserts the next entry without a race; triggers refuse any UPDATE or DELETE.</summary>
internal sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    public Task<AuditEntry> AppendAsync(string action, string target, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(reason);
        return database.Writer.ExecuteAsync(connection =>
        {
            var last = connection.Query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                static r => (Sequence: r.GetInt64(0), Hash: (byte[])r[1]));
            long sequence = last.Count == 0 ? 1 : last[0].Sequence + 1;
            byte[] previous = last.Count == 0 ? AuditChain.Genesis : last[0].Hash;
            // Milliseconds are what the chain covers, so that is what is kept.
            DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(database.Time.GetUtcNow().ToUnixTimeMilliseconds());
            byte[] hash = AuditChain.Next(previous, sequence, at, action, target, reason);
            connection.Execute("INSERT INTO audit_log (seq, at, action, target, reason, hash) VALUES ($s, $t, $a, $g, $r, $h)",
                ("$s", sequence), ("$t", at.ToUnixTimeMilliseconds()), ("$a", action), ("$g", target), ("$r", reason), ("$h", hash));
            return new AuditEntry(sequence, at, action, target, reason, hash);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAsync(long after, int limit, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<AuditEntry> entries = connection.Query(
            "SELECT seq, at, action, target, reason, hash FROM audit_log WHERE seq > $after ORDER BY seq LIMIT $limit",
            static r => new AuditEntry(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2),
                r.GetString(3), r.GetString(4), (byte[])r[5]),
            ("$after", after), ("$limit", limit));
        return Task.FromResult(entries);
    }
}
