using Npgsql;
using Parley.Server.Delivery;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Postgres;

/// <summary>Finishes fan-outs that a node left half done (it died between recording a send and
/// writing its copies, and the sender never retried). Every node runs it; fan-out is idempotent, so
/// two nodes finishing the same send deliver it once.</summary>
internal sealed class PostgresFanoutRecovery(PostgresDatabase database, PostgresFanout fanout, DeviceConnections connections,
    ILogger<PostgresFanoutRecovery> logger) : BackgroundService
{
    /// <summary>How often the sweep looks for unfinished fan-outs.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>How old an unfinished fan-out must be before the sweep takes it over from the node
    /// that accepted it (which normally finishes it within milliseconds).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>Finishes every fan-out recorded at or before <paramref name="acceptedBefore"/>; returns how many.</summary>
    public async Task<int> RecoverAsync(DateTimeOffset acceptedBefore, CancellationToken cancellationToken)
    {
        int finished = 0;
        while (true)
        {
            List<PendingFanout> pending;
            await using (NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken))
            {
                pending = await connection.QueryAsync(
                    """
                    SELECT group_id, send_key, epoch, message_id, message, recipients, welcome, welcome_recipients, expires_at, stamps
                    FROM group_sends WHERE message IS NOT NULL AND accepted_at <= $1
                    ORDER BY accepted_at LIMIT 100
                    """,
                    [Pg.UnixSeconds(acceptedBefore)],
                    static r => new PendingFanout(r.GetString(0), (byte[])r[1], (ulong)r.GetInt64(2), r.GetString(3), (byte[])r[4],
                        (string[])r[5], r.IsDBNull(6) ? null : (byte[])r[6], r.IsDBNull(7) ? [] : (string[])r[7], r.GetInt64(8),
                        r.IsDBNull(9) ? null : (byte[][])r[9]),
                    cancellationToken);
            }
            foreach (PendingFanout send in pending)
            {
                IReadOnlyList<DeviceId> delivered = await fanout.RunAsync(send, cancellationToken);
                await fanout.MarkDoneAsync(send, cancellationToken);
                connections.Notify(delivered);
                finished++;
            }
            if (pending.Count < 100)
            {
                return finished;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, database.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                int finished = await RecoverAsync(database.Time.GetUtcNow() - Grace, stoppingToken);
                if (finished > 0)
                {
                    logger.LogInformation("Finished {Count} interrupted fan-outs", finished);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Fan-out recovery failed");
            }
        }
    }
}
