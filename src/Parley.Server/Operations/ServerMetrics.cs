using System.Diagnostics.Metrics;

namespace Parley.Server.Operations;

/// <summary>The server's instruments (meter "Parley.Server"): messages accepted and delivered,
/// open WebSockets, and the depth of the storage writer's queue.</summary>
public sealed class ServerMetrics
{
    /// <summary>Name of the meter, for exporters and listeners.</summary>
    public const string MeterName = "Parley.Server";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _refused;
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
        meter.CreateObservableGauge("parley.storage.write_queue_depth", () => Interlocked.Read(ref _writeQueueDepth), "{operation}",
            "Writes waiting for the storage writer.");
    }

    public void MessagesAccepted(int copies) => _accepted.Add(copies);

    public void MessageDelivered() => _delivered.Add(1);

    public void SubmissionRejected(string code) => _rejected.Add(1, new KeyValuePair<string, object?>("code", code));

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void ConnectionRefused(string kind) => _refused.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void WriteQueued() => Interlocked.Increment(ref _writeQueueDepth);

    public void WriteDequeued() => Interlocked.Decrement(ref _writeQueueDepth);
}
