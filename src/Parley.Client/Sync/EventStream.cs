// The device's one event stream (docs/architecture.md, "Events"): the last stage of the receive pipeline,
// and where the send path, the outbox and the safety checks report what changed. Every event goes to the
// EventRaised handlers and to each subscription's own queue; publishing never waits for a consumer.
namespace Parley.Client.Sync;

/// <summary>Fans each <see cref="ClientEvent"/> out to the synchronous handlers and to every subscription.</summary>
internal sealed class EventStream
{
    private readonly Lock _gate = new();
    // Copy-on-write, so publishing reads it without the lock.
    private ClientEventSubscription[] _subscriptions = [];
    private bool _closed;

    /// <summary>Synchronous handlers (<see cref="ParleyClient.EventRaised"/>), called on the thread that publishes.</summary>
    public event Action<ClientEvent>? Raised;

    /// <summary>Hands <paramref name="e"/> to every handler and subscription. A handler's failure is swallowed: a
    /// consumer must not break sync.</summary>
    public void Publish(ClientEvent e)
    {
        try
        {
            Raised?.Invoke(e);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A listener's failure must not break sync.
        }
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Offer(e);
        }
    }

    /// <summary>A new subscription with a queue of <paramref name="capacity"/> events; an ended one when the stream is closed.</summary>
    public ClientEventSubscription Subscribe(int capacity)
    {
        var subscription = new ClientEventSubscription(capacity, Unsubscribe);
        lock (_gate)
        {
            if (_closed)
            {
                subscription.Complete();
                return subscription;
            }
            _subscriptions = [.. _subscriptions, subscription];
        }
        return subscription;
    }

    /// <summary>Ends every subscription (the client closed); later subscriptions end at once.</summary>
    public void Close()
    {
        ClientEventSubscription[] ended;
        lock (_gate)
        {
            _closed = true;
            ended = _subscriptions;
            _subscriptions = [];
        }
        foreach (var subscription in ended)
        {
            subscription.Complete();
        }
    }

    private void Unsubscribe(ClientEventSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions = _subscriptions.Where(s => s != subscription).ToArray();
        }
    }
}
