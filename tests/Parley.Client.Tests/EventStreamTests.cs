using Parley.Client.Sync;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>The device's event stream: every subscriber gets every event in order, and a slow one never holds up the
/// publisher (its oldest events are dropped and counted instead).</summary>
public sealed class EventStreamTests
{
    private static DeliveryDropped Event(int n) => new("d" + n, "test");

    [Fact]
    public async Task Every_subscriber_gets_every_event_in_order()
    {
        var stream = new EventStream();
        var seen = new List<ClientEvent>();
        stream.Raised += seen.Add;
        using var first = stream.Subscribe(16);
        using var second = stream.Subscribe(16);
        for (int i = 0; i < 3; i++)
        {
            stream.Publish(Event(i));
        }
        stream.Close();

        foreach (var subscription in new[] { first, second })
        {
            var read = new List<ClientEvent>();
            await foreach (var e in subscription.ReadAllAsync())
            {
                read.Add(e);
            }
            Assert.Equal([Event(0), Event(1), Event(2)], read);
            Assert.Equal(0, subscription.Missed);
        }
        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public void A_subscriber_that_falls_behind_loses_its_oldest_events_and_does_not_block_the_publisher()
    {
        var stream = new EventStream();
        using var slow = stream.Subscribe(4);
        using var fast = stream.Subscribe(100);
        for (int i = 0; i < 10; i++)
        {
            stream.Publish(Event(i));
        }

        Assert.Equal(6, slow.Missed);
        Assert.True(slow.Reader.TryRead(out var oldest));
        Assert.Equal(Event(6), oldest);
        Assert.Equal(0, fast.Missed);
        Assert.Equal(10, fast.Reader.Count);
    }

    [Fact]
    public async Task A_disposed_subscription_ends_and_gets_nothing_more()
    {
        var stream = new EventStream();
        var subscription = stream.Subscribe(8);
        stream.Publish(Event(1));
        subscription.Dispose();
        stream.Publish(Event(2));

        var read = new List<ClientEvent>();
        await foreach (var e in subscription.ReadAllAsync())
        {
            read.Add(e);
        }
        Assert.Equal([Event(1)], read);
    }

    [Fact]
    public void A_failing_handler_does_not_stop_the_others_or_the_subscribers()
    {
        var stream = new EventStream();
        stream.Raised += _ => throw new InvalidOperationException("a broken view");
        using var subscription = stream.Subscribe(8);
        stream.Publish(Event(1));
        Assert.True(subscription.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_subscription_made_after_the_client_closed_is_already_ended()
    {
        var stream = new EventStream();
        stream.Close();
        using var late = stream.Subscribe(8);
        await late.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
