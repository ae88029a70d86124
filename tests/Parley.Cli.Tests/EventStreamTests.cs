using Parley.Client;
using Parley.Client.Messages;
using Parley.Client.Sync;

namespace Parley.Cli.Tests;

/// <summary>The client's one event stream, as a view (the web app, `parley listen`) consumes it: several subscribers
/// at once, each seeing what the device did, between real devices through the real server.</summary>
public sealed class EventStreamTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    private static async Task<T> NextAsync<T>(ClientEventSubscription subscription, Func<T, bool>? match = null) where T : ClientEvent
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in subscription.ReadAllAsync(timeout.Token))
        {
            if (e is T wanted && (match is null || match(wanted)))
            {
                return wanted;
            }
        }
        throw new InvalidOperationException($"The stream ended without a {typeof(T).Name}.");
    }

    [Fact]
    public async Task Two_views_see_a_sent_message_go_from_queued_to_sent_to_delivered_to_read()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        using var list = alice.Subscribe();
        using var conversation = alice.Subscribe();
        using var bobView = bob.Subscribe();

        var sent = await alice.SendTextAsync(chat.Id, "hello from one view");

        foreach (var view in new[] { list, conversation })
        {
            var queued = await NextAsync<MessageSent>(view);
            Assert.Equal(sent.MessageId, queued.Message.MessageId);
            Assert.Equal(DeliveryStatus.Pending, queued.Message.State.Status);
            var status = await NextAsync<MessageStatusChanged>(view);
            Assert.Equal(sent.MessageId, status.Message.MessageId);
            Assert.Equal(DeliveryStatus.Sent, status.Status);
        }
        await bob.SyncAsync();
        var received = await NextAsync<MessageReceived>(bobView);
        Assert.Equal("hello from one view", received.Message.Text);
        await alice.SyncAsync();
        var delivered = await NextAsync<MessageUpdated>(list, u => u.Change == "delivered");
        Assert.Equal(sent.MessageId, delivered.Message.MessageId);

        await bob.MarkReadAsync(received.Conversation.Id);
        var marked = await NextAsync<ConversationRead>(bobView);
        Assert.Equal(1, marked.Marked);
        Assert.Equal(0, marked.Conversation.UnreadCount);
        await alice.SyncAsync();
        var read = await NextAsync<MessageUpdated>(list, u => u.Change == "read");
        Assert.Equal(sent.MessageId, read.Message.MessageId);
        Assert.Contains(read.Message.State.Receipts, r => r.Recipient == bob.Username && r.ReadAt is not null);
        Assert.Equal(0, list.Missed);
    }

    [Fact]
    public async Task A_device_linked_to_the_account_and_then_revoked_is_told()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        await alice.OpenDirectAsync(bob.Username);
        await alice.ReconcileOwnDevicesAsync();
        using var view = alice.Subscribe();

        var tablet = await _devices.LinkAsync(alice, "tablet");
        await alice.ReconcileOwnDevicesAsync();
        var linked = await NextAsync<DevicesChanged>(view);
        Assert.Equal([tablet.DeviceId], linked.Linked);
        Assert.Empty(linked.Revoked);

        await alice.RevokeDeviceAsync(tablet.DeviceId);
        var revoked = await NextAsync<DevicesChanged>(view);
        Assert.Equal([tablet.DeviceId], revoked.Revoked);
        Assert.Empty(revoked.Linked);
    }

    [Fact]
    public async Task Events_ends_when_the_client_closes()
    {
        var alice = await _devices.CreateAsync("alice");
        var events = alice.Events().GetAsyncEnumerator();
        var next = events.MoveNextAsync().AsTask();
        _devices.Close(alice);
        Assert.False(await next.WaitAsync(TimeSpan.FromSeconds(10)));
        await events.DisposeAsync();
    }

    public void Dispose() => _devices.Dispose();
}
