using Microsoft.Extensions.Options;
using Parley.Server.Operations;

namespace Parley.Server.Channels;

/// <summary>Periodically drops expired join requests, and invites that expired more than a message retention ago (until
/// then, joining through them answers "expired" rather than "not found").</summary>
public sealed class ChannelExpiry(IChannelStore channels, TimeProvider time, IOptions<ParleyServerOptions> options,
    ILogger<ChannelExpiry> logger) : PeriodicSweep(time, options, logger, "Channel expiry sweep")
{
    /// <summary>Runs one sweep now.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        int deleted = await channels.DeleteExpiredAsync(Time.GetUtcNow(), Options.MessageRetention, cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Expired {Count} channel join requests and invites", deleted);
        }
    }

    protected override Task SweepOnceAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);
}
