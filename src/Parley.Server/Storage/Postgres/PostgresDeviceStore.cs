using Npgsql;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Devices and credentials in PostgreSQL, keyed by device id.</summary>
internal sealed class PostgresDeviceStore(PostgresDatabase database) : IDeviceStore
{
    private const string DeviceColumns = "device_id, account_id, cipher_suite, signature_key, certificate, revoked";

    public async Task<AddDeviceOutcome> AddAsync(AccountId account, NewDevice device, int maxDevices, CancellationToken cancellationToken)
    {
        try
        {
            return await database.Writer.ExecuteAsync(WriteKeys.Device(device.Id.Value), async (connection, ct) =>
            {
                // The account row serializes adds to one account across nodes, so the limit holds.
                await connection.ExecuteAsync("SELECT 1 FROM accounts WHERE account_id = $1 FOR UPDATE", [account.Value], ct);
                if (await connection.ScalarAsync("SELECT 1 FROM devices WHERE device_id = $1", [device.Id.Value], ct) is not null)
                {
                    return AddDeviceOutcome.DeviceExists;
                }
                long count = (long)(await connection.ScalarAsync("SELECT count(*) FROM devices WHERE account_id = $1", [account.Value], ct))!;
                if (count >= maxDevices)
                {
                    return AddDeviceOutcome.TooManyDevices;
                }
                if (!await InsertAsync(connection, account, device, ct))
                {
                    throw new StoreRollback<AddDeviceOutcome>(AddDeviceOutcome.DeviceExists);
                }
                return AddDeviceOutcome.Added;
            }, cancellationToken);
        }
        catch (StoreRollback<AddDeviceOutcome> rollback)
        {
            return rollback.Outcome;
        }
    }

    public async Task<IReadOnlyList<Device>> ListAsync(AccountId account, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync($"SELECT {DeviceColumns} FROM devices WHERE account_id = $1 ORDER BY added",
            [account.Value], MapDevice, cancellationToken);
    }

    public async Task<Device?> FindAsync(DeviceId id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return (await connection.QueryAsync($"SELECT {DeviceColumns} FROM devices WHERE device_id = $1", [id.Value], MapDevice,
            cancellationToken)).FirstOrDefault();
    }

    /// <summary>The devices among <paramref name="ids"/> that exist (revoked ones too), on an open connection.</summary>
    internal static async Task<IReadOnlyList<Device>> FindManyAsync(NpgsqlConnection connection, IReadOnlyList<DeviceId> ids,
        CancellationToken cancellationToken)
        => ids.Count == 0
            ? []
            : await connection.QueryAsync($"SELECT {DeviceColumns} FROM devices WHERE device_id = ANY($1)", [ids.Select(d => d.Value).ToArray()],
                MapDevice, cancellationToken);

    public async Task<DeviceCredentialRecord?> FindCredentialAsync(DeviceId id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return (await connection.QueryAsync(
            "SELECT device_id, account_id, credential_hash FROM devices WHERE device_id = $1 AND NOT revoked AND credential_hash IS NOT NULL",
            [id.Value],
            static r => new DeviceCredentialRecord(new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), (byte[])r[2]),
            cancellationToken)).FirstOrDefault();
    }

    public Task<bool> RevokeAsync(AccountId account, DeviceId id, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(WriteKeys.Device(id.Value), async (connection, ct) =>
        {
            int changed = await connection.ExecuteAsync(
                "UPDATE devices SET revoked = true, credential_hash = NULL WHERE device_id = $1 AND account_id = $2 AND NOT revoked",
                [id.Value, account.Value], ct);
            if (changed == 0)
            {
                return false;
            }
            await connection.ExecuteAsync("DELETE FROM key_packages WHERE device_id = $1", [id.Value], ct);
            await connection.ExecuteAsync("DELETE FROM mailbox WHERE device_id = $1", [id.Value], ct);
            return true;
        }, cancellationToken);

    /// <summary>Inserts a device row and its mailbox head (shared with registration); false if the id exists.</summary>
    internal static async Task<bool> InsertAsync(NpgsqlConnection connection, AccountId account, NewDevice device,
        CancellationToken cancellationToken)
    {
        int inserted = await connection.ExecuteAsync(
            """
            INSERT INTO devices (device_id, account_id, cipher_suite, signature_key, certificate, credential_hash)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
            """,
            [device.Id.Value, account.Value, (int)device.CipherSuite, device.SignatureKey, device.Certificate, device.CredentialHash],
            cancellationToken);
        if (inserted == 0)
        {
            return false;
        }
        await connection.ExecuteAsync("INSERT INTO mailbox_heads (device_id) VALUES ($1) ON CONFLICT DO NOTHING", [device.Id.Value],
            cancellationToken);
        return true;
    }

    private static Device MapDevice(NpgsqlDataReader r)
        => new(new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), (ushort)r.GetInt32(2), (byte[])r[3], (byte[])r[4],
            r.GetBoolean(5));
}
