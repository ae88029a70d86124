using Npgsql;
using Parley.Server.Devices;
using Parley.Server.Mailboxes;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Mailboxes in PostgreSQL, keyed by device. Sequence numbers are per device and commit
/// in order (see <see cref="PostgresFanout"/>), so paging by sequence never skips a copy.</summary>
internal sealed class PostgresMailboxStore(PostgresDatabase database) : IMailboxStore
{
    /// <summary>How long an acknowledged copy's tombstone stays, at most: long enough for an interrupted fan-out to have
    /// been finished by a recovery sweep (every 5 s, after 10 s of grace), short because the tombstone keeps the message
    /// id, which with the accepted send's key tells who sent it (docs/privacy.md). A fan-out left unfinished for longer
    /// (every node down) may deliver a copy twice; clients drop a repeated delivery.</summary>
    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromMinutes(15);

    public async Task<IReadOnlyList<MailboxMessage>> ReadAsync(DeviceId device, long afterSequence, int limit, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync(
            """
            SELECT seq, message_id, payload, stamp FROM mailbox
            WHERE device_id = $1 AND seq > $2 AND payload IS NOT NULL AND expires_at > $3
            ORDER BY seq LIMIT $4
            """,
            [device.Value, afterSequence, Pg.UnixSeconds(now), limit],
            static r => new MailboxMessage(r.GetInt64(0), r.GetString(1), (byte[])r[2], r.IsDBNull(3) ? null : (byte[])r[3]),
            cancellationToken);
    }

    public async Task<bool> AcknowledgeAsync(DeviceId device, string messageId, CancellationToken cancellationToken)
        => await AcknowledgeAsync(device, [messageId], cancellationToken) > 0;

    public Task<int> AcknowledgeAsync(DeviceId device, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(WriteKeys.Device(device.Value), async (connection, ct) =>
            await connection.ExecuteAsync(
                """
                UPDATE mailbox SET payload = NULL, stamp = NULL, expires_at = least(expires_at, $3)
                WHERE device_id = $1 AND message_id = ANY($2) AND payload IS NOT NULL
                """,
                [device.Value, messageIds.ToArray(), Pg.UnixSeconds(database.Time.GetUtcNow() + TombstoneLifetime)], ct),
            cancellationToken);

    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        long cutoff = Pg.UnixSeconds(now);
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        // Send records wait for a fan-out being marked done (milliseconds) rather than skip it: a
        // swept record must be gone, or a retry after expiry would count as a repeat. Locks are
        // taken in key order, so sweeps on several nodes queue instead of deadlocking.
        await PostgresSweeps.DeleteInSlicesAsync(connection,
            """
            DELETE FROM group_sends WHERE (group_id, send_key) IN (
                SELECT group_id, send_key FROM group_sends WHERE expires_at <= $1 ORDER BY group_id, send_key LIMIT 1000 FOR UPDATE)
            """,
            cutoff, cancellationToken);
        await PostgresSweeps.DeleteInSlicesAsync(connection,
            """
            DELETE FROM challenges WHERE challenge_key IN (
                SELECT challenge_key FROM challenges WHERE expires_at <= $1 LIMIT 1000 FOR UPDATE SKIP LOCKED)
            """,
            cutoff, cancellationToken);
        // Counts only copies that were never acknowledged (tombstones are bookkeeping).
        int expired = 0;
        while (true)
        {
            var slice = await connection.QueryAsync(
                """
                WITH gone AS (
                    DELETE FROM mailbox WHERE (device_id, seq) IN (
                        SELECT device_id, seq FROM mailbox WHERE expires_at <= $1 LIMIT 1000 FOR UPDATE SKIP LOCKED)
                    RETURNING payload IS NOT NULL AS unread)
                SELECT count(*), count(*) FILTER (WHERE unread) FROM gone
                """,
                [cutoff], static r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken);
            expired += (int)slice[0].Item2;
            if (slice[0].Item1 < 1000)
            {
                return expired;
            }
        }
    }
}
