using Npgsql;
using Parley.Server.Accounts;
using Parley.Server.Moderation;

namespace Parley.Server.Storage.Postgres;

/// <summary>Suspended accounts in PostgreSQL, shared by every node (each node refreshes its copy periodically).</summary>
internal sealed class PostgresSuspensionStore(PostgresDatabase database) : ISuspensionStore
{
    public Task<bool> SuspendAsync(AccountId account, string reason, DateTimeOffset at, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "INSERT INTO suspensions (account_id, reason, suspended_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [account.Value, reason, at.ToUnixTimeMilliseconds()], ct) > 0, cancellationToken);

    public Task<bool> RestoreAsync(AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "DELETE FROM suspensions WHERE account_id = $1", [account.Value], ct) > 0, cancellationToken);

    public async Task<IReadOnlyList<AccountId>> ListAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync("SELECT account_id FROM suspensions", [], static r => new AccountId(r.GetString(0)),
            cancellationToken);
    }
}
