using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Devices and credentials in SQLite.</summary>
internal sealed class SqliteDeviceStore(SqliteDatabase database) : IDeviceStore
{
    public Task<AddDeviceOutcome> AddAsync(AccountId account, NewDevice device, int maxDevices, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            if (connection.Scalar("SELECT 1 FROM devices WHERE device_id = $d", ("$d", device.Id.Value)) is not null)
            {
                return AddDeviceOutcome.DeviceExists;
            }
            long count = (long)connection.Scalar("SELECT COUNT(*) FROM devices WHERE account_id = $a", ("$a", account.Value))!;
            if (count >= maxDevices)
            {
                return AddDeviceOutcome.TooManyDevices;
            }
            Insert(connection, account, device);
            return AddDeviceOutcome.Added;
        }, cancellationToken);

    public Task<IReadOnlyList<Device>> ListAsync(AccountId account, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<Device> devices = connection.Query(
            "SELECT device_id, account_id, cipher_suite, signature_key, certificate, revoked FROM devices WHERE account_id = $a ORDER BY rowid",
            MapDevice, ("$a", account.Value));
        return Task.FromResult(devices);
    }

    public Task<Device?> FindAsync(DeviceId id, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(Find(connection, id));
    }

    /// <summary>The device (revoked ones too), or null, on an open connection.</summary>
    internal static Device? Find(SqliteConnection connection, DeviceId id)
        => connection.Query(
            "SELECT device_id, account_id, cipher_suite, signature_key, certificate, revoked FROM devices WHERE device_id = $d",
            MapDevice, ("$d", id.Value)).FirstOrDefault();

    public Task<DeviceCredentialRecord?> FindCredentialAsync(DeviceId id, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(connection.Query(
            "SELECT device_id, account_id, credential_hash FROM devices WHERE device_id = $d AND revoked = 0 AND credential_hash IS NOT NULL",
            static r => new DeviceCredentialRecord(new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), (byte[])r[2]),
            ("$d", id.Value)).FirstOrDefault());
    }

    public Task<bool> RevokeAsync(AccountId account, DeviceId id, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            int changed = connection.Execute(
                "UPDATE devices SET revoked = 1, credential_hash = NULL WHERE device_id = $d AND account_id = $a AND revoked = 0",
                ("$d", id.Value), ("$a", account.Value));
            if (changed == 0)
            {
                return false;
            }
            connection.Execute("DELETE FROM key_packages WHERE device_id = $d", ("$d", id.Value));
            connection.Execute("DELETE FROM mailbox WHERE device_id = $d", ("$d", id.Value));
            return true;
        }, cancellationToken);

    /// <summary>Inserts a device row (shared with registration, which creates the first device).</summary>
    internal static void Insert(SqliteConnection connection, AccountId account, NewDevice device)
        => connection.Execute(
            """
            INSERT INTO devices (device_id, account_id, cipher_suite, signature_key, certificate, credential_hash)
            VALUES ($d, $a, $s, $k, $c, $h)
            """,
            ("$d", device.Id.Value), ("$a", account.Value), ("$s", (int)device.CipherSuite), ("$k", device.SignatureKey),
            ("$c", device.Certificate), ("$h", device.CredentialHash));

    private static Device MapDevice(SqliteDataReader r)
        => new(new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), (ushort)r.GetInt32(2), (byte[])r[3], (byte[])r[4],
            r.GetInt64(5) != 0);
}
