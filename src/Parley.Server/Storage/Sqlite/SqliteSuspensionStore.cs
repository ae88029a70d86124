using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Moderation;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Suspended accounts in SQLite.</summary>
internal sealed class SqliteSuspensionStore(SqliteDatabase database) : ISuspensionStore
{
    public Task<bool> SuspendAsync(AccountId account, string reason, DateTimeOffset at, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "INSERT OR IGNORE INTO suspensions (account_id, reason, suspended_at) VALUES ($a, $r, $t)",
            ("$a", account.Value), ("$r", reason), ("$t", at.ToUnixTimeMilliseconds())) > 0, cancellationToken);

    public Task<bool> RestoreAsync(AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "DELETE FROM suspensions WHERE account_id = $a", ("$a", account.Value)) > 0, cancellationToken);

    public Task<IReadOnlyList<AccountId>> ListAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<AccountId> accounts = connection.Query("SELECT account_id FROM suspensions",
            static r => new AccountId(r.GetString(0)));
        return Task.FromResult(accounts);
    }
}
