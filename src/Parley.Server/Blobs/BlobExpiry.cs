using Microsoft.Extensions.Options;

namespace Parley.Server.Blobs;

/// <summary>Deletes blobs whose time is up — finished ones after the retention, unfinished ones
/// after the upload window — row first, then file. The first sweep after start-up also removes
/// files left without a row (a crash between the two deletions).</summary>
public sealed class BlobExpiry(IBlobStore blobs, BlobFiles files, BlobLocks locks, TimeProvider time,
    IOptions<ParleyServerOptions> options, ILogger<BlobExpiry> logger) : BackgroundService
{
    private const int Page = 500;

    /// <summary>Runs one sweep now; returns how many blobs were deleted.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        int deleted = 0;
        while (true)
        {
            IReadOnlyList<BlobKey> expired = await blobs.ListExpiredAsync(time.GetUtcNow(), Page, cancellationToken);
            int busy = 0;
            foreach (BlobKey key in expired)
            {
                // A blob being written right now is left for the next sweep.
                if (!locks.TryAcquire(key, out BlobLocks.Lease lease))
                {
                    busy++;
                    continue;
                }
                using (lease)
                {
                    await blobs.DeleteAsync(key, cancellationToken);
                    files.Delete(key);
                    deleted++;
                }
            }
            if (expired.Count < Page || busy == expired.Count)
            {
                break;
            }
        }
        if (deleted > 0)
        {
            logger.LogInformation("Expired {Blobs} blobs", deleted);
        }
        return deleted;
    }

    /// <summary>Deletes blob files that have no row; returns how many.</summary>
    public async Task<int> RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        int removed = 0;
        foreach (BlobKey key in files.Enumerate())
        {
            if (await blobs.ExistsAsync(key, cancellationToken) || !locks.TryAcquire(key, out BlobLocks.Lease lease))
            {
                continue;
            }
            using (lease)
            {
                files.Delete(key);
                removed++;
            }
        }
        if (removed > 0)
        {
            logger.LogWarning("Removed {Files} blob files that had no metadata", removed);
        }
        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpirySweepInterval, time);
        bool first = true;
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
                if (first)
                {
                    await RemoveOrphansAsync(stoppingToken);
                    first = false;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Blob expiry sweep failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
