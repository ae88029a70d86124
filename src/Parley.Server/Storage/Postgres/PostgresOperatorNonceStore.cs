using Parley.Server.Moderation;

namespace Parley.Server.Storage.Postgres;

/// <summary>The operator's spent nonces in PostgreSQL, shared by every node: the nonce is the primary key, so of two
/// nodes recording the same nonce at once exactly one inserts it.</summary>
internal sealed class PostgresOperatorNonceStore(PostgresDatabase database) : IOperatorNonceStore
{
    public Task<bool> TryUseAsync(string nonce, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
        {
            await connection.ExecuteAsync("DELETE FROM operator_nonces WHERE expires_at <= $1", [Pg.UnixSeconds(now)], ct);
            return await connection.ExecuteAsync(
                "INSERT INTO operator_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
                [nonce, Pg.UnixSeconds(expiresAt)], ct) == 1;
        }, cancellationToken);
}
