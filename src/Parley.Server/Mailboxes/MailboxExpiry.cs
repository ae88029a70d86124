using Microsoft.Extensions.Options;
using Parley.Server.Operations;
using Parley.Server.KeyPackages;

namespace Parley.Server.Mailboxes;

/// <summary>Periodically drops expired mailbox messages, idempotency records and key packages.</summary>
public sealed class MailboxExpiry(IMailboxStore mailbox, IKeyPackageStore keyPackages, TimeProvider time,
    IOptions<ParleyServerOptions> options, ILogger<MailboxExpiry> logger) : PeriodicSweep(time, options, logger, "Expiry sweep")
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
        DateTimeOffset now = Time.GetUtcNow();
        int messages = await mailbox.DeleteExpiredAsync(now, cancellationToken);
        int packages = await keyPackages.DeleteExpiredAsync(now, cancellationToken);
        if (messages + packages > 0)
        {
            logger.LogInformation("Expired {Messages} messages and {KeyPackages} key packages", messages, packages);
        }
    }

    protected override Task SweepOnceAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);
}
