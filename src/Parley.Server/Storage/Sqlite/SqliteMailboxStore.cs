using Microsoft.Data.Sqlite;
using Parley.Server.Devices;
using Parley.Server.Mailboxes;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Mailboxes in SQLite. The sequence is an AUTOINCREMENT key, so it only grows and a
/// device's messages come back in the order they were accepted.</summary>
internal sealed class SqliteMailboxStore(SqliteDatabase database) : IMailboxStore
{
    public Task<IReadOnlyList<MailboxMessage>> ReadAsync(DeviceId device, long afterSequence, int limit, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<MailboxMessage> messages = database.Read(connection => connection.Query(
            """
            SELECT seq, message_id, payload, stamp FROM mailbox
            WHERE device_id = $d AND seq > $after AND expires_at > $now
            ORDER BY seq LIMIT $limit
            """,
            static r => new MailboxMessage(r.GetInt64(0), r.GetString(1), (byte[])r[2], r.IsDBNull(3) ? null : (byte[])r[3]),
            ("$d", device.Value), ("$after", afterSequence), ("$now", Sql.UnixSeconds(now)), ("$limit", limit)));
        return Task.FromResult(messages);
    }

    public async Task<bool> AcknowledgeAsync(DeviceId device, string messageId, CancellationToken cancellationToken)
        => await AcknowledgeAsync(device, [messageId], cancellationToken) > 0;

    public Task<int> AcknowledgeAsync(DeviceId device, IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            int deleted = 0;
            foreach (string messageId in messageIds)
            {
                deleted += connection.Execute("DELETE FROM mailbox WHERE device_id = $d AND message_id = $m",
                    ("$d", device.Value), ("$m", messageId));
            }
            return deleted;
        }, cancellationToken);

    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        int expired = await database.Writer.ExecuteAsync(connection =>
        {
            long seconds = Sql.UnixSeconds(now);
            connection.Execute("DELETE FROM accepted_sends WHERE expires_at <= $now", ("$now", seconds));
            return connection.Execute("DELETE FROM mailbox WHERE expires_at <= $now", ("$now", seconds));
        }, cancellationToken);
        // Acknowledged copies were deleted since the last sweep too: none of them outlives it in the WAL.
        database.TruncateWal();
        return expired;
    }

    /// <summary>Writes one copy of a message into each active device's mailbox, and each channel subscriber queue's (an id with
    /// no device row; a copy already there under the same id is kept), with that recipient's franking stamp when there are
    /// stamps; returns the recipients that got a new copy. A revoked device gets none.</summary>
    internal static List<DeviceId> Enqueue(SqliteConnection connection, IReadOnlyList<DeviceId> devices, string messageId,
        byte[] payload, long expiresAt, IReadOnlyDictionary<DeviceId, byte[]>? stamps = null)
    {
        var delivered = new List<DeviceId>(devices.Count);
        SqliteCommand command = connection.Command(
            """
            INSERT OR IGNORE INTO mailbox (device_id, message_id, payload, expires_at, stamp)
            SELECT $d, $m, $p, $x, $st WHERE NOT EXISTS (SELECT 1 FROM devices WHERE device_id = $d AND revoked <> 0)
            """,
            ("$d", ""), ("$m", messageId), ("$p", payload), ("$x", expiresAt), ("$st", null));
        try
        {
            foreach (DeviceId device in devices)
            {
                command.Parameters["$d"].Value = device.Value;
                command.Parameters["$st"].Value = stamps is not null && stamps.TryGetValue(device, out byte[]? stamp) ? stamp : DBNull.Value;
                if (command.ExecuteNonQuery() > 0)
                {
                    delivered.Add(device);
                }
            }
        }
        finally
        {
            command.Release();
        }
        return delivered;
    }
}
