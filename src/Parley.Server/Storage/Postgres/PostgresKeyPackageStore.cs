using Npgsql;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.KeyPackages;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Key packages in PostgreSQL, keyed by device and held per cipher suite. A claim takes each one-time package with
/// DELETE … WHERE (SELECT … FOR UPDATE SKIP LOCKED) RETURNING: claims racing on any number of nodes
/// neither wait for each other nor ever receive the same package.</summary>
internal sealed class PostgresKeyPackageStore(PostgresDatabase database) : IKeyPackageStore
{
    public Task<bool> AddAsync(DeviceId device, IReadOnlyList<StoredKeyPackage> oneTime, StoredKeyPackage? lastResort, int maxOneTime,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(WriteKeys.Device(device.Value), async (connection, ct) =>
        {
            foreach (var suite in oneTime.GroupBy(p => p.CipherSuite))
            {
                long existing = (long)(await connection.ScalarAsync(
                    "SELECT count(*) FROM key_packages WHERE device_id = $1 AND cipher_suite = $2 AND NOT last_resort",
                    [device.Value, (int)suite.Key], ct))!;
                if (existing + suite.Count() > maxOneTime)
                {
                    return false;
                }
            }
            if (oneTime.Count > 0)
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO key_packages (device_id, package_ref, data, last_resort, not_after, cipher_suite)
                    SELECT $1, r, d, false, n, s FROM unnest($2::bytea[], $3::bytea[], $4::bigint[], $5::integer[]) WITH ORDINALITY AS p (r, d, n, s, i)
                    ORDER BY i
                    ON CONFLICT DO NOTHING
                    """,
                    [device.Value, oneTime.Select(p => p.Ref).ToArray(), oneTime.Select(p => p.Data).ToArray(),
                        oneTime.Select(p => Pg.UnixSeconds(p.NotAfter)).ToArray(), oneTime.Select(p => (int)p.CipherSuite).ToArray()], ct);
            }
            if (lastResort is not null)
            {
                await connection.ExecuteAsync("DELETE FROM key_packages WHERE device_id = $1 AND cipher_suite = $2 AND last_resort",
                    [device.Value, (int)lastResort.CipherSuite], ct);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO key_packages (device_id, package_ref, data, last_resort, not_after, cipher_suite) VALUES ($1, $2, $3, true, $4, $5)
                    ON CONFLICT (device_id, package_ref) DO UPDATE SET last_resort = true, data = excluded.data, not_after = excluded.not_after
                    """,
                    [device.Value, lastResort.Ref, lastResort.Data, Pg.UnixSeconds(lastResort.NotAfter), (int)lastResort.CipherSuite], ct);
            }
            return true;
        }, cancellationToken);

    public async Task<KeyPackageCount> CountAsync(DeviceId device, ushort cipherSuite, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var counts = await connection.QueryAsync(
            """
            SELECT count(*) FILTER (WHERE NOT last_resort), count(*) FILTER (WHERE last_resort)
            FROM key_packages WHERE device_id = $1 AND cipher_suite = $2 AND not_after > $3
            """,
            [device.Value, (int)cipherSuite, Pg.UnixSeconds(now)],
            static r => new KeyPackageCount((int)r.GetInt64(0), r.GetInt64(1) > 0), cancellationToken);
        return counts[0];
    }

    public async Task<IReadOnlyDictionary<DeviceId, IReadOnlyList<ushort>>> SuitesAsync(AccountId account, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var rows = await connection.QueryAsync(
            """
            SELECT DISTINCT k.device_id, k.cipher_suite FROM key_packages k JOIN devices d ON d.device_id = k.device_id
            WHERE d.account_id = $1 AND NOT d.revoked AND k.not_after > $2
            ORDER BY k.device_id, k.cipher_suite
            """,
            [account.Value, Pg.UnixSeconds(now)], static r => (Device: r.GetString(0), Suite: (ushort)r.GetInt32(1)), cancellationToken);
        return rows.GroupBy(r => r.Device).ToDictionary(g => new DeviceId(g.Key), g => (IReadOnlyList<ushort>)g.Select(r => r.Suite).ToList());
    }

    public Task<IReadOnlyList<ClaimedKeyPackage>> ClaimAsync(AccountId account, DeviceId? except, ushort cipherSuite, DateTimeOffset now,
        bool takeOneTime, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync<IReadOnlyList<ClaimedKeyPackage>>(async (connection, ct) =>
        {
            List<string> devices = await connection.QueryAsync(
                "SELECT device_id FROM devices WHERE account_id = $1 AND NOT revoked ORDER BY added",
                [account.Value], static r => r.GetString(0), ct);
            var claimed = new List<ClaimedKeyPackage>(devices.Count);
            long nowSeconds = Pg.UnixSeconds(now);
            foreach (string device in devices)
            {
                if (except is { } skip && skip.Value == device)
                {
                    continue;
                }
                // One statement on the device's own rows of the suite: take the oldest unlocked one-time package,
                // else read the last-resort package (which stays).
                var taken = await connection.QueryAsync(
                    """
                    WITH one_time AS (
                        DELETE FROM key_packages WHERE device_id = $1 AND package_ref = (
                            SELECT package_ref FROM key_packages
                            WHERE device_id = $1 AND cipher_suite = $4 AND NOT last_resort AND not_after > $2 AND $3
                            ORDER BY added LIMIT 1 FOR UPDATE SKIP LOCKED)
                        RETURNING data, false AS last_resort)
                    SELECT data, last_resort FROM one_time
                    UNION ALL
                    SELECT data, true FROM key_packages
                    WHERE device_id = $1 AND cipher_suite = $4 AND last_resort AND not_after > $2 AND NOT EXISTS (SELECT 1 FROM one_time)
                    """,
                    [device, nowSeconds, takeOneTime, (int)cipherSuite], static r => ((byte[])r[0], r.GetBoolean(1)), ct);
                if (taken.Count > 0)
                {
                    claimed.Add(new ClaimedKeyPackage(new DeviceId(device), taken[0].Item1, taken[0].Item2));
                }
            }
            return claimed;
        }, cancellationToken);

    public Task<ClaimWindow> CountClaimAsync(AccountId account, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => (await connection.QueryAsync(
            // SET reads the row as it was, so a window that has ended restarts at one claim; the row lock orders
            // claims racing on several nodes.
            """
            INSERT INTO key_package_claims AS c (account_id, window_ends, claims) VALUES ($1, $3, 1)
            ON CONFLICT (account_id) DO UPDATE SET
                claims = CASE WHEN c.window_ends <= $2 THEN 1 ELSE c.claims + 1 END,
                window_ends = CASE WHEN c.window_ends <= $2 THEN $3 ELSE c.window_ends END
            RETURNING claims, window_ends
            """,
            [account.Value, Pg.UnixSeconds(now), Pg.UnixSeconds(now + window)],
            static r => new ClaimWindow(r.GetInt32(0), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(1))), ct))[0], cancellationToken);

    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        await PostgresSweeps.DeleteInSlicesAsync(connection,
            """
            DELETE FROM key_package_claims WHERE account_id IN (
                SELECT account_id FROM key_package_claims WHERE window_ends <= $1 LIMIT 1000 FOR UPDATE SKIP LOCKED)
            """,
            Pg.UnixSeconds(now), cancellationToken);
        return await PostgresSweeps.DeleteInSlicesAsync(connection,
            """
            DELETE FROM key_packages WHERE (device_id, package_ref) IN (
                SELECT device_id, package_ref FROM key_packages WHERE not_after <= $1 LIMIT 1000 FOR UPDATE SKIP LOCKED)
            """,
            Pg.UnixSeconds(now), cancellationToken);
    }
}
