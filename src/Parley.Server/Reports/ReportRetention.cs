using Microsoft.Extensions.Options;
using Parley.Server.Operations;

namespace Parley.Server.Reports;

/// <summary>Deletes closed abuse reports <see cref="ParleyServerOptions.ReportRetention"/> after they were closed: a
/// report holds the plaintext of the reported message and the sealed stamp naming its sender, which the operator
/// needs while deciding and for an appeal, not for ever (docs/privacy.md, "Reports").</summary>
public sealed class ReportRetention(IReportStore reports, TimeProvider time, IOptions<ParleyServerOptions> options,
    ILogger<ReportRetention> logger) : PeriodicSweep(time, options, logger, "Report retention sweep")
{
    /// <summary>Runs one sweep now; returns how many reports went.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset cutoff = Time.GetUtcNow() - Options.ReportRetention;
        int total = 0, deleted;
        do
        {
            deleted = await reports.DeleteClosedAsync(cutoff, cancellationToken);
            total += deleted;
        }
        while (deleted == 1000);
        if (total > 0)
        {
            logger.LogInformation("Deleted {Reports} closed reports past their retention", total);
        }
        return total;
    }

    protected override Task SweepOnceAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);
}
