using Npgsql;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Accounts in PostgreSQL. The username's uniqueness lives in its own table keyed by
/// username, so the directory can be distributed by username and accounts by account id; so does the
/// uniqueness of its confusable skeleton, keyed by skeleton.</summary>
internal sealed class PostgresAccountStore(PostgresDatabase database) : IAccountStore
{
    public async Task<RegistrationOutcome> CreateAsync(Account account, NewDevice firstDevice, CancellationToken cancellationToken)
    {
        try
        {
            return await database.Writer.ExecuteAsync(WriteKeys.Device(firstDevice.Id.Value), async (connection, ct) =>
            {
                if (await connection.ScalarAsync("SELECT 1 FROM devices WHERE device_id = $1", [firstDevice.Id.Value], ct) is not null)
                {
                    return RegistrationOutcome.DeviceExists;
                }
                if (await connection.ExecuteAsync("INSERT INTO usernames (username, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        [account.Username.Value, account.Id.Value], ct) == 0)
                {
                    return RegistrationOutcome.UsernameTaken;
                }
                if (await connection.ExecuteAsync("INSERT INTO username_skeletons (skeleton, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        [account.Username.Skeleton, account.Id.Value], ct) == 0)
                {
                    // A look-alike name holds the skeleton: undo the username.
                    throw new StoreRollback<RegistrationOutcome>(RegistrationOutcome.UsernameConfusable);
                }
                await connection.ExecuteAsync("INSERT INTO accounts (account_id, username, identity_key) VALUES ($1, $2, $3)",
                    [account.Id.Value, account.Username.Value, account.IdentityKey], ct);
                if (!await PostgresDeviceStore.InsertAsync(connection, account.Id, firstDevice, ct))
                {
                    // Another node registered this device key a moment ago: undo the username too.
                    throw new StoreRollback<RegistrationOutcome>(RegistrationOutcome.DeviceExists);
                }
                return RegistrationOutcome.Created;
            }, cancellationToken);
        }
        catch (StoreRollback<RegistrationOutcome> rollback)
        {
            return rollback.Outcome;
        }
    }

    public Task<Account?> FindByUsernameAsync(Username username, CancellationToken cancellationToken)
        => FindAsync(
            "SELECT a.account_id, a.username, a.identity_key FROM usernames u JOIN accounts a ON a.account_id = u.account_id WHERE u.username = $1",
            username.Value, cancellationToken);

    public Task<Account?> FindByIdAsync(AccountId id, CancellationToken cancellationToken)
        => FindAsync("SELECT account_id, username, identity_key FROM accounts WHERE account_id = $1", id.Value, cancellationToken);

    private async Task<Account?> FindAsync(string sql, string value, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var rows = await connection.QueryAsync(sql, [value], static r =>
        {
            Username.TryParse(r.GetString(1), out Username username);
            return new Account(new AccountId(r.GetString(0)), username, (byte[])r[2]);
        }, cancellationToken);
        return rows.FirstOrDefault();
    }
}
