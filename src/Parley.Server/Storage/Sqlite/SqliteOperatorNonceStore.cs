using Parley.Server.Moderation;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The operator's spent nonces in SQLite, on the single writer, so a nonce is checked and recorded at once.</summary>
internal sealed class SqliteOperatorNonceStore(SqliteDatabase database) : IOperatorNonceStore
{
    public Task<bool> TryUseAsync(string nonce, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            connection.Execute("DELETE FROM operator_nonces WHERE expires_at <= $now", ("$now", Sql.UnixSeconds(now)));
            return connection.Execute("INSERT OR IGNORE INTO operator_nonces (nonce, expires_at) VALUES ($n, $e)",
                ("$n", nonce), ("$e", Sql.UnixSeconds(expiresAt))) == 1;
        }, cancellationToken);
}
