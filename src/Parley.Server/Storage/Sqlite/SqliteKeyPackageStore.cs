using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.KeyPackages;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Key packages in SQLite, by device and cipher suite. Claims run on the single writer, and each one-time package is
/// taken with DELETE … RETURNING, so two concurrent claims never receive the same package.</summary>
internal sealed class SqliteKeyPackageStore(SqliteDatabase database) : IKeyPackageStore
{
    public Task<bool> AddAsync(DeviceId device, IReadOnlyList<StoredKeyPackage> oneTime, StoredKeyPackage? lastResort, int maxOneTime,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            foreach (var suite in oneTime.GroupBy(p => p.CipherSuite))
            {
                long existing = (long)connection.Scalar(
                    "SELECT COUNT(*) FROM key_packages WHERE device_id = $d AND cipher_suite = $s AND last_resort = 0",
                    ("$d", device.Value), ("$s", (long)suite.Key))!;
                if (existing + suite.Count() > maxOneTime)
                {
                    return false;
                }
            }
            foreach (StoredKeyPackage package in oneTime)
            {
                Insert(connection, device, package, lastResort: false);
            }
            if (lastResort is not null)
            {
                connection.Execute("DELETE FROM key_packages WHERE device_id = $d AND cipher_suite = $s AND last_resort = 1",
                    ("$d", device.Value), ("$s", (long)lastResort.CipherSuite));
                Insert(connection, device, lastResort, lastResort: true);
            }
            return true;
        }, cancellationToken);

    public Task<KeyPackageCount> CountAsync(DeviceId device, ushort cipherSuite, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        var counts = connection.Query(
            """
            SELECT COALESCE(SUM(last_resort = 0), 0), COALESCE(SUM(last_resort = 1), 0)
            FROM key_packages WHERE device_id = $d AND cipher_suite = $s AND not_after > $now
            """,
            static r => new KeyPackageCount((int)r.GetInt64(0), r.GetInt64(1) > 0),
            ("$d", device.Value), ("$s", (long)cipherSuite), ("$now", Sql.UnixSeconds(now)));
        return Task.FromResult(counts[0]);
    }

    public Task<IReadOnlyDictionary<DeviceId, IReadOnlyList<ushort>>> SuitesAsync(AccountId account, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        var rows = connection.Query(
            """
            SELECT DISTINCT k.device_id, k.cipher_suite FROM key_packages k JOIN devices d ON d.device_id = k.device_id
            WHERE d.account_id = $a AND d.revoked = 0 AND k.not_after > $now
            ORDER BY k.device_id, k.cipher_suite
            """,
            static r => (Device: r.GetString(0), Suite: (ushort)r.GetInt64(1)), ("$a", account.Value), ("$now", Sql.UnixSeconds(now)));
        IReadOnlyDictionary<DeviceId, IReadOnlyList<ushort>> suites = rows.GroupBy(r => r.Device)
            .ToDictionary(g => new DeviceId(g.Key), g => (IReadOnlyList<ushort>)g.Select(r => r.Suite).ToList());
        return Task.FromResult(suites);
    }

    public Task<IReadOnlyList<ClaimedKeyPackage>> ClaimAsync(AccountId account, DeviceId? except, ushort cipherSuite, DateTimeOffset now,
        bool takeOneTime, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync<IReadOnlyList<ClaimedKeyPackage>>(connection =>
        {
            List<string> devices = connection.Query(
                "SELECT device_id FROM devices WHERE account_id = $a AND revoked = 0 ORDER BY rowid",
                static r => r.GetString(0), ("$a", account.Value));
            var claimed = new List<ClaimedKeyPackage>(devices.Count);
            long nowSeconds = Sql.UnixSeconds(now);
            foreach (string device in devices)
            {
                if (except is { } skip && skip.Value == device)
                {
                    continue;
                }
                List<byte[]> oneTime = !takeOneTime ? [] : connection.Query(
                    """
                    DELETE FROM key_packages WHERE rowid = (
                        SELECT rowid FROM key_packages
                        WHERE device_id = $d AND cipher_suite = $s AND last_resort = 0 AND not_after > $now
                        ORDER BY rowid LIMIT 1)
                    RETURNING data
                    """,
                    static r => (byte[])r[0], ("$d", device), ("$s", (long)cipherSuite), ("$now", nowSeconds));
                if (oneTime.Count == 1)
                {
                    claimed.Add(new ClaimedKeyPackage(new DeviceId(device), oneTime[0], LastResort: false));
                    continue;
                }
                var lastResort = connection.Query(
                    "SELECT data FROM key_packages WHERE device_id = $d AND cipher_suite = $s AND last_resort = 1 AND not_after > $now",
                    static r => (byte[])r[0], ("$d", device), ("$s", (long)cipherSuite), ("$now", nowSeconds));
                if (lastResort.Count == 1)
                {
                    claimed.Add(new ClaimedKeyPackage(new DeviceId(device), lastResort[0], LastResort: true));
                }
            }
            return claimed;
        }, cancellationToken);

    public Task<ClaimWindow> CountClaimAsync(AccountId account, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Query(
            // SET reads the row as it was, so a window that has ended restarts at one claim.
            """
            INSERT INTO key_package_claims (account_id, window_ends, claims) VALUES ($a, $ends, 1)
            ON CONFLICT (account_id) DO UPDATE SET
                claims = CASE WHEN window_ends <= $now THEN 1 ELSE claims + 1 END,
                window_ends = CASE WHEN window_ends <= $now THEN $ends ELSE window_ends END
            RETURNING claims, window_ends
            """,
            static r => new ClaimWindow((int)r.GetInt64(0), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(1))),
            ("$a", account.Value), ("$now", Sql.UnixSeconds(now)), ("$ends", Sql.UnixSeconds(now + window)))[0], cancellationToken);

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            connection.Execute("DELETE FROM key_package_claims WHERE window_ends <= $now", ("$now", Sql.UnixSeconds(now)));
            return connection.Execute("DELETE FROM key_packages WHERE not_after <= $now", ("$now", Sql.UnixSeconds(now)));
        }, cancellationToken);

    private static void Insert(SqliteConnection connection, DeviceId device, StoredKeyPackage package, bool lastResort)
        => connection.Execute(
            """
            INSERT OR IGNORE INTO key_packages (device_id, package_ref, data, last_resort, not_after, cipher_suite)
            VALUES ($d, $r, $data, $l, $na, $s)
            """,
            ("$d", device.Value), ("$r", package.Ref), ("$data", package.Data), ("$l", lastResort ? 1 : 0),
            ("$na", Sql.UnixSeconds(package.NotAfter)), ("$s", (long)package.CipherSuite));
}
