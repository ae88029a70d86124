using System.Diagnostics.Metrics;

namespace Parley.Server.Operations;

/// <summary>The server's instruments (meter "Parley.Server"): messages accepted and delivered, open WebSockets, the depth
/// of the storage writer's queue, how long each storage commit takes to be durable, and requests refused by problem code.
/// No instrument carries a user, device, group or address (docs/self-hosting.md, "Metrics").</summary>
public sealed class ServerMetrics
{
    /// <summary>Name of the meter, for exporters and listeners.</summary>
    public const string MeterName = "Parley.Server";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _requestsRejected;
    private readonly Histogram<double> _commitDuration;
    private long _writeQueueDepth;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(MeterName);
        _accepted = meter.CreateCounter<long>("parley.messages.accepted", "{message}", "Mailbox copies durably stored for delivery.");
        _delivered = meter.CreateCounter<long>("parley.messages.delivered", "{message}", "Mailbox copies acknowledged by their device.");
        _rejected = meter.CreateCounter<long>("parley.messages.rejected", "{message}", "Group submissions refused (stale epoch, not a member, malformed).");
        _connections = meter.CreateUpDownCounter<long>("parley.websocket.connections", "{connection}", "Open device WebSockets.");
        _refused = meter.CreateCounter<long>("parley.connections.refused", "{connection}",
            "Connections refused because the node's connection budget was reached (tag kind: websocket or tcp).");
        _requestsRejected = meter.CreateCounter<long>("parley.requests.rejected", "{request}",
            "Requests answered with a problem, by its stable code (tag code: rate_limited, stale_epoch, not_found, ...).");
        _commitDuration = meter.CreateHistogram("parley.storage.commit.duration", "s",
            "Time for one storage transaction's commit to be durable (the fsync of SQLite's WAL; PostgreSQL's COMMIT), tag engine.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitBuckets });
        meter.CreateObservableGauge("parley.storage.write_queue_depth", () => Interlocked.Read(ref _writeQueueDepth), "{operation}",
            "Writes waiting for the storage writer.");
    }

    // From half a millisecond (a commit on a fast SSD) to seconds (a disk that stalls), about doubling.
    private static readonly double[] CommitBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

    public void MessagesAccepted(int copies) => _accepted.Add(copies);

    public void MessageDelivered() => _delivered.Add(1);

    public void SubmissionRejected(string code) => _rejected.Add(1, new KeyValuePair<string, object?>("code", code));

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void ConnectionRefused(string kind) => _refused.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void RequestRejected(string code) => _requestsRejected.Add(1, new KeyValuePair<string, object?>("code", code));

    /// <summary>Records one commit of the <paramref name="engine"/> ("sqlite" or "postgres") that took <paramref name="elapsed"/>.</summary>
    public void CommitCompleted(string engine, TimeSpan elapsed)
        => _commitDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("engine", engine));

    public void WriteQueued() => Interlocked.Increment(ref _writeQueueDepth);

    public void WriteDequeued() => Interlocked.Decrement(ref _writeQueueDepth);
}
