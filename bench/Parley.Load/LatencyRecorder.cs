// End-to-end latencies in an HdrHistogram (3 significant digits, up to ten minutes).
using System.Diagnostics;
using HdrHistogram;

namespace Parley.Load;

/// <summary>Records latencies from Stopwatch timestamps; thread-safe.</summary>
internal sealed class LatencyRecorder
{
    private readonly LongHistogram _histogram = new(TimeSpan.TicksPerMinute * 10, 3);

    public long Count
    {
        get
        {
            lock (_histogram)
            {
                return _histogram.TotalCount;
            }
        }
    }

    /// <summary>Records the time from <paramref name="sentAt"/> to <paramref name="now"/> (Stopwatch timestamps).</summary>
    public void Record(long sentAt, long now)
    {
        long ticks = Math.Max(0, Stopwatch.GetElapsedTime(sentAt, now).Ticks);
        lock (_histogram)
        {
            _histogram.RecordValue(Math.Min(ticks, _histogram.HighestTrackableValue));
        }
    }

    /// <summary>The latency at <paramref name="percentile"/> in milliseconds (0 when empty).</summary>
    public double Ms(double percentile)
    {
        lock (_histogram)
        {
            return _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond;
        }
    }

    /// <summary>The largest latency in milliseconds (0 when empty).</summary>
    public double MaxMs
    {
        get
        {
            lock (_histogram)
            {
                return _histogram.TotalCount == 0 ? 0 : _histogram.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond;
            }
        }
    }
}
