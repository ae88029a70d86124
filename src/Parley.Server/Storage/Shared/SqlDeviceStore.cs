using System.Data.Common;
using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Shared;

/// <summary>Devices and their credentials, keyed by device id.</summary>
internal sealed class SqlDeviceStore(SqlEngine engine) : IDeviceStore
{
    /// <summary>The columns <see cref="Map"/> reads, in its order.</summary>
    internal const string Columns = "device_id, account_id, cipher_suite, signature_key, certificate, revoked";

    public Task<AddDeviceOutcome> AddAsync(AccountId account, NewDevice device, int maxDevices, CancellationToken cancellationToken)
        => engine.WriteOrRefuseAsync(WriteKeys.Device(device.Id.Value), async db =>
        {
            // The account row serializes adds to one account across nodes, so the limit holds.
            await db.ExecuteAsync("SELECT 1 FROM accounts WHERE account_id = $1" + db.Dialect.ForUpdate, account.Value);
            if (await db.ScalarAsync("SELECT 1 FROM devices WHERE device_id = $1", device.Id.Value) is not null)
            {
                return AddDeviceOutcome.DeviceExists;
            }
            long count = Db.Integer(await db.ScalarAsync("SELECT COUNT(*) FROM devices WHERE account_id = $1", account.Value));
            if (count >= maxDevices)
            {
                return AddDeviceOutcome.TooManyDevices;
            }
            return await InsertAsync(db, account, device)
                ? AddDeviceOutcome.Added
                : throw new StoreRollback<AddDeviceOutcome>(AddDeviceOutcome.DeviceExists);
        }, cancellationToken);

    public Task<IReadOnlyList<Device>> ListAsync(AccountId account, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<Device>>(async db => await db.QueryAsync(
            $"SELECT {Columns} FROM devices WHERE account_id = $1 ORDER BY {db.Dialect.InsertionOrder("added")}", Map, account.Value),
            cancellationToken);

    public Task<Device?> FindAsync(DeviceId id, CancellationToken cancellationToken)
        => engine.ReadAsync(db => db.FirstAsync($"SELECT {Columns} FROM devices WHERE device_id = $1", Map, id.Value),
            cancellationToken);

    public Task<DeviceCredentialRecord?> FindCredentialAsync(DeviceId id, CancellationToken cancellationToken)
        => engine.ReadAsync(db => db.FirstAsync(
            "SELECT device_id, account_id, credential_hash FROM devices WHERE device_id = $1 AND NOT revoked AND credential_hash IS NOT NULL",
            static r => new DeviceCredentialRecord(new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), (byte[])r[2]),
            id.Value), cancellationToken);

    public Task<bool> RevokeAsync(AccountId account, DeviceId id, CancellationToken cancellationToken)
        => engine.WriteAsync(WriteKeys.Device(id.Value), async db =>
        {
            int changed = await db.ExecuteAsync(
                "UPDATE devices SET revoked = TRUE, credential_hash = NULL WHERE device_id = $1 AND account_id = $2 AND NOT revoked",
                id.Value, account.Value);
            if (changed == 0)
            {
                return false;
            }
            await db.ExecuteAsync("DELETE FROM key_packages WHERE device_id = $1", id.Value);
            await db.ExecuteAsync("DELETE FROM mailbox WHERE device_id = $1", id.Value);
            return true;
        }, cancellationToken);

    /// <summary>Inserts a device row, and its mailbox head where the engine keeps one (shared with registration);
    /// false if the id exists.</summary>
    internal static async ValueTask<bool> InsertAsync(Db db, AccountId account, NewDevice device)
    {
        int inserted = await db.ExecuteAsync(
            """
            INSERT INTO devices (device_id, account_id, cipher_suite, signature_key, certificate, credential_hash)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """,
            device.Id.Value, account.Value, (int)device.CipherSuite, device.SignatureKey, device.Certificate, device.CredentialHash);
        if (inserted == 0)
        {
            return false;
        }
        await AddMailboxHeadAsync(db, device.Id.Value);
        return true;
    }

    /// <summary>Adds the mailbox head of <paramref name="device"/> where the engine keeps one.</summary>
    internal static async ValueTask AddMailboxHeadAsync(Db db, string device)
    {
        if (db.Dialect.MailboxHeads)
        {
            await db.ExecuteAsync("INSERT INTO mailbox_heads (device_id) VALUES ($1) ON CONFLICT DO NOTHING", device);
        }
    }

    /// <summary>A device from a row of <see cref="Columns"/>.</summary>
    internal static Device Map(DbDataReader r)
        => new(new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), (ushort)r.GetInt32(2), (byte[])r[3], (byte[])r[4],
            r.GetBoolean(5));
}
