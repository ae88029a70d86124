using Parley.Server.Moderation;

namespace Parley.Server.Storage.Shared;

/// <summary>The operator's spent nonces, checked and recorded in one write: the nonce is the primary key, so of two
/// writes (or two nodes) recording the same nonce exactly one inserts it.</summary>
internal sealed class SqlOperatorNonceStore(SqlEngine engine) : IOperatorNonceStore
{
    public Task<bool> TryUseAsync(string nonce, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
        {
            await db.ExecuteAsync("DELETE FROM operator_nonces WHERE expires_at <= $1", Db.UnixSeconds(now));
            return await db.ExecuteAsync("INSERT INTO operator_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
                nonce, Db.UnixSeconds(expiresAt)) == 1;
        }, cancellationToken);
}
