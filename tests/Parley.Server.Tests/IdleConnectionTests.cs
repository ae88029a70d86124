using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Parley.Server.Mailboxes;
using Parley.Server.Operations;

namespace Parley.Server.Tests;

/// <summary>The delivery WebSocket keeps no send loop, channel or timer while it is idle (docs/benchmarks.md, idle
/// connections): pushes start when mail arrives, and a close asked for by the server runs on its own. These check the
/// behaviour that design has to keep.</summary>
public sealed class IdleConnectionTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Messages_sent_in_a_burst_to_a_connected_device_all_arrive_once_and_in_order()
    {
        var (alice, bob, group) = await PairAsync();
        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);
        const int count = 30;

        // Sent concurrently, so wakes arrive while a push is under way; each must still lead to the mail being pushed.
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: $"burst-{i}"))));

        var received = new List<MailboxEntry>();
        while (received.Count < count)
        {
            MailboxEntry entry = await TestSockets.ReceiveMessageAsync(socket);
            received.Add(entry);
            await TestSockets.AckAsync(socket, entry.Id);
        }
        Assert.Equal(count, received.Select(e => e.Id).Distinct().Count());
        Assert.Equal(received.Select(e => e.Sequence).Order(), received.Select(e => e.Sequence));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await MailboxTests.WaitUntilAsync(async () => (await TestMailbox.ReadAsync(bob.Device)).Count == 0);
    }

    [Fact]
    public async Task A_replaced_connection_that_never_answers_the_close_is_cut_off()
    {
        var (_, bob, _) = await PairAsync();
        var gate = new Lock();
        long open = 0;
        bool both = false;
        var firstOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IMeterFactory meters = _server.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this server's meter: other test servers run in parallel with meters of the same name.
            if (instrument.Name == "parley.websocket.connections" && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            lock (gate)
            {
                open += value;
                both |= open == 2;
                if (open == 1)
                {
                    (both ? firstReleased : firstOpen).TrySetResult();
                }
            }
        });
        listener.Start();

        // The first connection is never read again, so it never answers the server's close frame.
        using WebSocket silent = await TestSockets.ConnectAsync(_server, bob.Device);
        await firstOpen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        using WebSocket second = await TestSockets.ConnectAsync(_server, bob.Device);

        // The server gives up on the handshake after its 5-second timeout and releases the first connection.
        await firstReleased.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(15));
        Assert.Equal(WebSocketState.Open, second.State);
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    private async Task<(TestUser Alice, TestUser Bob, TestGroup Group)> PairAsync()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await bob.Device.UploadKeyPackagesAsync(1);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);
        await group.AddAsync(alice.Device, bob);
        foreach (var welcome in await TestMailbox.ReadAsync(bob.Device))
        {
            await TestMailbox.AckAsync(bob.Device, welcome.Id);
        }
        return (alice, bob, group);
    }
}
