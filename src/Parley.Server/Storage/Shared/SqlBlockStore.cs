using Parley.Server.Accounts;
using Parley.Server.Blocking;

namespace Parley.Server.Storage.Shared;

/// <summary>Blocks, keyed by the blocking account. The group stores apply them to submissions inside their writes
/// (<see cref="BlockRule"/>, through each engine's block lookups).</summary>
internal sealed class SqlBlockStore(SqlEngine engine) : IBlockStore
{
    public Task BlockAsync(AccountId blocker, AccountId blocked, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "INSERT INTO blocks (blocker_account, blocked_account) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            blocker.Value, blocked.Value), cancellationToken);

    public Task<bool> UnblockAsync(AccountId blocker, AccountId blocked, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "DELETE FROM blocks WHERE blocker_account = $1 AND blocked_account = $2", blocker.Value, blocked.Value) > 0,
            cancellationToken);

    public Task<bool> BlocksAsync(AccountId blocker, AccountId blocked, CancellationToken cancellationToken)
        => engine.ReadAsync(async db => await db.ScalarAsync(
            "SELECT 1 FROM blocks WHERE blocker_account = $1 AND blocked_account = $2", blocker.Value, blocked.Value) is not null,
            cancellationToken);

    public Task<IReadOnlyList<string>> ListAsync(AccountId blocker, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<string>>(async db => await db.QueryAsync(
            """
            SELECT a.username FROM blocks b JOIN accounts a ON a.account_id = b.blocked_account
            WHERE b.blocker_account = $1 ORDER BY a.username
            """,
            static r => r.GetString(0), blocker.Value), cancellationToken);
}
