// One consumer's view of a device's event stream: its own bounded queue, so a slow reader loses its
// oldest events (and is told how many) instead of holding up the receive path.
using System.Threading.Channels;

namespace Parley.Client.Sync;

/// <summary>A subscription to a device's events (<see cref="ParleyClient.Subscribe"/>): every event raised after it
/// was made, in order, until it is disposed or the client closes. Each subscription has its own queue of
/// <see cref="Capacity"/> events; when a reader falls that far behind, the oldest unread events are dropped and
/// counted in <see cref="Missed"/> (a view then reloads what it shows from the client).</summary>
public sealed class ClientEventSubscription : IDisposable
{
    /// <summary>The queue length of a subscription made without one.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Channel<ClientEvent> _queue;
    private readonly Action<ClientEventSubscription> _unsubscribe;
    private long _missed;
    private int _disposed;

    internal ClientEventSubscription(int capacity, Action<ClientEventSubscription> unsubscribe)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _unsubscribe = unsubscribe;
        _queue = Channel.CreateBounded<ClientEvent>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = false },
            _ => Interlocked.Increment(ref _missed));
    }

    /// <summary>How many unread events the queue holds before the oldest is dropped.</summary>
    public int Capacity { get; }

    /// <summary>How many events were dropped because this subscription's reader fell behind.</summary>
    public long Missed => Interlocked.Read(ref _missed);

    /// <summary>The events, as a channel reader; it completes when the subscription is disposed or the client closes.</summary>
    public ChannelReader<ClientEvent> Reader => _queue.Reader;

    /// <summary>Reads the events as they come, until the subscription ends or <paramref name="cancellationToken"/> fires.</summary>
    public IAsyncEnumerable<ClientEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _queue.Reader.ReadAllAsync(cancellationToken);

    // Never waits: a full queue drops its oldest event.
    internal void Offer(ClientEvent e) => _queue.Writer.TryWrite(e);

    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Ends the subscription: no more events are queued; those already queued can still be read.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unsubscribe(this);
            Complete();
        }
    }
}
