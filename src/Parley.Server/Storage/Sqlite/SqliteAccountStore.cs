using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Accounts in SQLite.</summary>
internal sealed class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    public Task<RegistrationOutcome> CreateAsync(Account account, NewDevice firstDevice, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            if (connection.Scalar("SELECT 1 FROM accounts WHERE username = $u", ("$u", account.Username.Value)) is not null)
            {
                return RegistrationOutcome.UsernameTaken;
            }
            if (connection.Scalar("SELECT 1 FROM username_skeletons WHERE skeleton = $s", ("$s", account.Username.Skeleton)) is not null)
            {
                return RegistrationOutcome.UsernameConfusable;
            }
            if (connection.Scalar("SELECT 1 FROM devices WHERE device_id = $d", ("$d", firstDevice.Id.Value)) is not null)
            {
                return RegistrationOutcome.DeviceExists;
            }
            connection.Execute("INSERT INTO accounts (account_id, username, identity_key) VALUES ($a, $u, $k)",
                ("$a", account.Id.Value), ("$u", account.Username.Value), ("$k", account.IdentityKey));
            connection.Execute("INSERT INTO username_skeletons (skeleton, account_id) VALUES ($s, $a)",
                ("$s", account.Username.Skeleton), ("$a", account.Id.Value));
            SqliteDeviceStore.Insert(connection, account.Id, firstDevice);
            return RegistrationOutcome.Created;
        }, cancellationToken);

    public Task<Account?> FindByUsernameAsync(Username username, CancellationToken cancellationToken)
        => Task.FromResult(Find("username = $v", username.Value));

    public Task<Account?> FindByIdAsync(AccountId id, CancellationToken cancellationToken)
        => Task.FromResult(Find("account_id = $v", id.Value));

    private Account? Find(string condition, string value)
    {
        using SqliteConnection connection = database.OpenRead();
        return connection.Query($"SELECT account_id, username, identity_key FROM accounts WHERE {condition}",
            static r =>
            {
                Username.TryParse(r.GetString(1), out Username username);
                return new Account(new AccountId(r.GetString(0)), username, (byte[])r[2]);
            },
            ("$v", value)).FirstOrDefault();
    }
}
