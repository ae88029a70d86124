using Microsoft.Extensions.Options;

namespace Parley.Server.Channels;

/// <summary>Periodically drops expired join requests, and invites that expired more than a message retention ago (until
/// then, joining through them answers "expired" rather than "not found").</summary>
public sealed class ChannelExpiry(IChannelStore channels, TimeProvider time, IOptions<ParleyServerOptions> options,
    ILogger<ChannelExpiry> logger) : BackgroundService
{
    /// <summary>Runs one sweep now.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        int deleted = await channels.DeleteExpiredAsync(time.GetUtcNow(), options.Value.MessageRetention, cancellationToken);
        if (deleted > 0)
        {
            logger.LogInformation("Expired {Count} channel join requests and invites", deleted);
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
                logger.LogError(ex, "Channel expiry sweep failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
