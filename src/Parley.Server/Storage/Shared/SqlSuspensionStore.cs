using Parley.Server.Accounts;
using Parley.Server.Moderation;

namespace Parley.Server.Storage.Shared;

/// <summary>Suspended accounts, in whichever engine holds them (with PostgreSQL shared by every node, each of which
/// refreshes its copy periodically).</summary>
internal sealed class SqlSuspensionStore(SqlEngine engine) : ISuspensionStore
{
    public Task<bool> SuspendAsync(AccountId account, string reason, DateTimeOffset at, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "INSERT INTO suspensions (account_id, reason, suspended_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            account.Value, reason, at.ToUnixTimeMilliseconds()) > 0, cancellationToken);

    public Task<bool> RestoreAsync(AccountId account, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync("DELETE FROM suspensions WHERE account_id = $1", account.Value) > 0,
            cancellationToken);

    public Task<IReadOnlyList<AccountId>> ListAsync(CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<AccountId>>(
            async db => await db.QueryAsync("SELECT account_id FROM suspensions", static r => new AccountId(r.GetString(0))),
            cancellationToken);
}
