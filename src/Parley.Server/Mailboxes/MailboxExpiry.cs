using Microsoft.Extensions.Options;
using Parley.Server.KeyPackages;

namespace Parley.Server.Mailboxes;

/// <summary>Periodically drops expired mailbox messages, idempotency records and key packages.</summary>
public sealed class MailboxExpiry(IMailboxStore mailbox, IKeyPackageStore keyPackages, TimeProvider time,
    IOptions<ParleyServerOptions> options, ILogger<MailboxExpiry> logger) : BackgroundService
{
    /// <summary>The granularity of stored expiry times.</summary>
    public static readonly TimeSpan ExpiryGranularity = TimeSpan.FromHours(1);

    /// <summary>When something accepted at <paramref name="acceptedAt"/> and kept for <paramref name="retention"/> expires, as
    /// stored: rounded up to the hour, so stored expiry times do not record when each message was sent.</summary>
    public static DateTimeOffset ExpiryOf(DateTimeOffset acceptedAt, TimeSpan retention)
    {
        long ticks = (acceptedAt + retention).UtcTicks;
        long granularity = ExpiryGranularity.Ticks;
        return new DateTimeOffset((ticks + granularity - 1) / granularity * granularity, TimeSpan.Zero);
    }

    /// <summary>Runs one sweep now.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        int messages = await mailbox.DeleteExpiredAsync(now, cancellationToken);
        int packages = await keyPackages.DeleteExpiredAsync(now, cancellationToken);
        if (messages + packages > 0)
        {
            logger.LogInformation("Expired {Messages} messages and {KeyPackages} key packages", messages, packages);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpirySweepInterval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Expiry sweep failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
