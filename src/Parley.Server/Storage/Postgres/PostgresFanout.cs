using Npgsql;
using Parley.Server.Devices;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>An accepted send whose copies are still to be written into the recipients' mailboxes, with each
/// recipient's franking stamp (same order as <see cref="Recipients"/>) when the message is franked.</summary>
internal sealed record PendingFanout(
    string GroupId,
    byte[] SendKey,
    ulong Epoch,
    string MessageId,
    byte[] Message,
    string[] Recipients,
    byte[]? Welcome,
    string[] WelcomeRecipients,
    long ExpiresAt,
    byte[][]? Stamps = null)
{
    /// <summary>Every device that gets a copy, message or Welcome.</summary>
    public string[] Devices => Recipients.Concat(WelcomeRecipients).Distinct(StringComparer.Ordinal).ToArray();
}

/// <summary>The second half of a send. The first half (<see cref="PostgresGroupStore"/>) decides
/// and records the send on the group's rows only; this writes one copy per recipient on the
/// recipients' rows only, in its own transaction, so no transaction on the message path spans a
/// group and its members' devices (the two would be on different shards). Writing copies is
/// idempotent — a copy already there, or acknowledged (a tombstone), is not written again — so an
/// interrupted fan-out is simply run again: by a retry of the send, or by
/// <see cref="PostgresFanoutRecovery"/>.</summary>
internal sealed class PostgresFanout(PostgresDatabase database)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingFanout> _done = new();
    private int _flushing;

    // The writer has locked the recipients' heads (sorted) before this runs, so numbering a
    // device's copies and committing them happen in the same order on every node.
    private const string Enqueue = """
        WITH numbered AS (
            UPDATE mailbox_heads h SET last_seq = h.last_seq + 1
            WHERE h.device_id = ANY($1) AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = h.device_id AND d.revoked)
              AND NOT EXISTS (SELECT 1 FROM mailbox m WHERE m.device_id = h.device_id AND m.message_id = $2)
            RETURNING h.device_id, h.last_seq)
        INSERT INTO mailbox (device_id, seq, message_id, payload, expires_at, stamp)
        SELECT n.device_id, n.last_seq, $2, $3, $4, s.stamp FROM numbered n
        LEFT JOIN unnest($1::text[], $5::bytea[]) AS s (device_id, stamp) ON s.device_id = n.device_id
        ON CONFLICT DO NOTHING
        RETURNING device_id
        """;

    /// <summary>Writes the copies durably; returns the devices that got a new one.</summary>
    public async Task<IReadOnlyList<DeviceId>> RunAsync(PendingFanout fanout, CancellationToken cancellationToken)
    {
        IReadOnlyList<DeviceId> delivered = [];
        string[] devices = fanout.Devices;
        if (devices.Length > 0)
        {
            delivered = await database.Writer.ExecuteAsync(new WriteKeys(null, devices), async (connection, ct) =>
            {
                var copies = new List<DeviceId>(devices.Length);
                copies.AddRange(await EnqueueAsync(connection, fanout.Recipients, fanout.MessageId, fanout.Message, fanout.ExpiresAt,
                    fanout.Stamps, ct));
                if (fanout.Welcome is not null && fanout.WelcomeRecipients.Length > 0)
                {
                    copies.AddRange(await EnqueueAsync(connection, fanout.WelcomeRecipients, fanout.MessageId, fanout.Welcome,
                        fanout.ExpiresAt, null, ct));
                }
                return copies;
            }, cancellationToken);
        }
        return delivered;
    }

    /// <summary>Marks the fan-out done in the background, together with whatever other fan-outs
    /// finished meanwhile (one statement for all). If that fails, a recovery sweep runs the
    /// (idempotent) fan-out again later and marks it then.</summary>
    public void MarkDoneLater(PendingFanout fanout)
    {
        _done.Enqueue(fanout);
        if (Interlocked.CompareExchange(ref _flushing, 1, 0) == 0)
        {
            _ = FlushDoneAsync();
        }
    }

    /// <summary>Marks the fan-out done on the group's rows: the message, its delivered id, recipients and stamps kept for
    /// it are dropped, and so is the exact time it was accepted (docs/privacy.md).</summary>
    public Task MarkDoneAsync(PendingFanout fanout, CancellationToken cancellationToken)
        => MarkDoneAsync([fanout], cancellationToken);

    private Task MarkDoneAsync(List<PendingFanout> fanouts, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync((connection, ct) => connection.ExecuteAsync(
            // Rows locked in key order, as the expiry sweep locks them.
            """
            WITH done AS MATERIALIZED (
                SELECT s.group_id, s.send_key FROM group_sends s
                JOIN unnest($1::text[], $2::bytea[]) AS d (group_id, send_key) ON s.group_id = d.group_id AND s.send_key = d.send_key
                ORDER BY s.group_id, s.send_key FOR UPDATE OF s)
            UPDATE group_sends s SET message = NULL, message_id = NULL, accepted_at = 0, recipients = NULL, welcome = NULL, welcome_recipients = NULL,
                stamps = NULL
            FROM done WHERE s.group_id = done.group_id AND s.send_key = done.send_key
            """,
            [fanouts.Select(f => f.GroupId).ToArray(), fanouts.Select(f => f.SendKey).ToArray()], ct), cancellationToken);

    private async Task FlushDoneAsync()
    {
        try
        {
            var batch = new List<PendingFanout>();
            while (true)
            {
                batch.Clear();
                while (batch.Count < 1000 && _done.TryDequeue(out PendingFanout? fanout))
                {
                    batch.Add(fanout);
                }
                if (batch.Count == 0)
                {
                    break;
                }
                await MarkDoneAsync(batch, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            // Left pending: PostgresFanoutRecovery finishes them.
        }
        finally
        {
            Volatile.Write(ref _flushing, 0);
            if (!_done.IsEmpty && Interlocked.CompareExchange(ref _flushing, 1, 0) == 0)
            {
                _ = FlushDoneAsync();
            }
        }
    }

    private static async Task<List<DeviceId>> EnqueueAsync(NpgsqlConnection connection, string[] devices, string messageId,
        byte[] payload, long expiresAt, byte[][]? stamps, CancellationToken cancellationToken)
        => devices.Length == 0
            ? []
            : await connection.QueryAsync(Enqueue, [devices, messageId, payload, expiresAt, stamps],
                static r => new DeviceId(r.GetString(0)), cancellationToken);
}
