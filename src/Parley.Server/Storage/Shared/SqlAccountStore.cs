using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Shared;

/// <summary>Accounts. A username is unique either by a column of <c>accounts</c> (SQLite) or by a directory table of its
/// own keyed by username (PostgreSQL, so the directory can be distributed by username and accounts by account id); its
/// confusable skeleton is unique in <c>username_skeletons</c>, keyed by skeleton.</summary>
internal sealed class SqlAccountStore(SqlEngine engine) : IAccountStore
{
    private const string Columns = "a.account_id, a.username, a.identity_key";

    public Task<RegistrationOutcome> CreateAsync(Account account, NewDevice firstDevice, CancellationToken cancellationToken)
        => engine.WriteOrRefuseAsync(WriteKeys.Device(firstDevice.Id.Value), async db =>
        {
            if (await db.ScalarAsync("SELECT 1 FROM devices WHERE device_id = $1", firstDevice.Id.Value) is not null)
            {
                return RegistrationOutcome.DeviceExists;
            }
            if (db.Dialect.UsernameDirectory && await db.ExecuteAsync(
                    "INSERT INTO usernames (username, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    account.Username.Value, account.Id.Value) == 0)
            {
                return RegistrationOutcome.UsernameTaken;
            }
            if (await db.ExecuteAsync(
                    "INSERT INTO accounts (account_id, username, identity_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    account.Id.Value, account.Username.Value, account.IdentityKey) == 0)
            {
                return RegistrationOutcome.UsernameTaken;
            }
            if (await db.ExecuteAsync("INSERT INTO username_skeletons (skeleton, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    account.Username.Skeleton, account.Id.Value) == 0)
            {
                // A look-alike name holds the skeleton: undo the username.
                throw new StoreRollback<RegistrationOutcome>(RegistrationOutcome.UsernameConfusable);
            }
            if (!await SqlDeviceStore.InsertAsync(db, account.Id, firstDevice))
            {
                // Another node registered this device key a moment ago: undo the username too.
                throw new StoreRollback<RegistrationOutcome>(RegistrationOutcome.DeviceExists);
            }
            return RegistrationOutcome.Created;
        }, cancellationToken);

    public Task<Account?> FindByUsernameAsync(Username username, CancellationToken cancellationToken)
        => FindAsync(engine.Dialect.UsernameDirectory
            ? $"SELECT {Columns} FROM usernames u JOIN accounts a ON a.account_id = u.account_id WHERE u.username = $1"
            : $"SELECT {Columns} FROM accounts a WHERE a.username = $1", username.Value, cancellationToken);

    public Task<Account?> FindByIdAsync(AccountId id, CancellationToken cancellationToken)
        => FindAsync($"SELECT {Columns} FROM accounts a WHERE a.account_id = $1", id.Value, cancellationToken);

    private Task<Account?> FindAsync(string sql, string value, CancellationToken cancellationToken)
        => engine.ReadAsync(db => db.FirstAsync(sql, static r =>
        {
            Username.TryParse(r.GetString(1), out Username username);
            return new Account(new AccountId(r.GetString(0)), username, (byte[])r[2]);
        }, value), cancellationToken);
}
