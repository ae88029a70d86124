using Microsoft.Extensions.Options;

namespace Parley.Server.Operations;

/// <summary>A background job that runs one sweep at start-up and then every
/// <see cref="ParleyServerOptions.ExpirySweepInterval"/>; a failed sweep is logged and the next tick tries again.</summary>
public abstract class PeriodicSweep(TimeProvider time, IOptions<ParleyServerOptions> options, ILogger logger, string name)
    : BackgroundService
{
    /// <summary>The server's clock.</summary>
    protected TimeProvider Time => time;

    /// <summary>The server's settings.</summary>
    protected ParleyServerOptions Options => options.Value;

    /// <summary>Runs one sweep.</summary>
    protected abstract Task SweepOnceAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpirySweepInterval, time);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "{Sweep} failed", name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
