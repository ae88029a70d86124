using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

public sealed class MailboxTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_websocket_pushes_waiting_and_new_messages_in_order_and_an_ack_deletes()
    {
        var (alice, bob, group) = await PairAsync();
        for (int i = 0; i < 3; i++)
        {
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: $"before-{i}"));
        }

        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);
        var received = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            MailboxEntry entry = await TestSockets.ReceiveMessageAsync(socket);
            Assert.Equal("message", entry.Type);
            received.Add(entry.Id);
            await TestSockets.AckAsync(socket, entry.Id);
            if (i == 1)
            {
                await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "live"));
            }
        }

        Assert.Equal(["before-0", "before-1", "before-2", "live"], received);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await WaitUntilAsync(async () => (await TestMailbox.ReadAsync(bob.Device)).Count == 0);
    }

    [Fact]
    public async Task A_batched_ack_deletes_every_message_it_names()
    {
        var (alice, bob, group) = await PairAsync();
        for (int i = 0; i < 3; i++)
        {
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: $"batch-{i}"));
        }
        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);
        var pushed = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            pushed.Add((await TestSockets.ReceiveMessageAsync(socket)).Id);
        }

        await TestSockets.SendAsync(socket, $$"""{"type":"ack","ids":["{{pushed[0]}}","{{pushed[2]}}"]}""");

        await WaitUntilAsync(async () => (await TestMailbox.ReadAsync(bob.Device)).Count == 1);
        Assert.Equal("batch-1", Assert.Single(await TestMailbox.ReadAsync(bob.Device)).Id);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Theory]
    [InlineData("""{"type":"ack","ids":[]}""")]
    [InlineData("""{"type":"ack","ids":["bad-0","bad id"]}""")]
    [InlineData("""{"type":"ack","ids":["bad-0",null]}""")]
    [InlineData("""{"type":"ack","id":"bad-0","ids":["bad-1"]}""")]
    [InlineData("""{"type":"ack","ids":"bad-0"}""")]
    [InlineData("""{"type":"read","ids":["bad-0"]}""")]
    [InlineData(null)]
    public async Task A_malformed_ack_frame_closes_the_connection_with_1008_and_deletes_nothing(string? frame)
    {
        var (alice, bob, group) = await PairAsync();
        for (int i = 0; i < 2; i++)
        {
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: $"bad-{i}"));
        }
        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);
        await TestSockets.ReceiveMessageAsync(socket);

        // null: one id more than a frame may carry, every one of them valid.
        frame ??= $$"""{"type":"ack","ids":[{{string.Join(",", Enumerable.Range(0, ClientFrame.MaxAckIds + 1).Select(i => $"\"bad-{i % 2}\""))}}]}""";
        await TestSockets.SendAsync(socket, frame);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await TestSockets.ReadUntilClosedAsync(socket)).Status);
        Assert.Equal(["bad-0", "bad-1"], (await TestMailbox.ReadAsync(bob.Device)).Select(m => m.Id).Where(id => id.StartsWith("bad-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Unacknowledged_messages_are_pushed_again_on_the_next_connection()
    {
        var (alice, bob, group) = await PairAsync();
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "keep"));

        using (WebSocket first = await TestSockets.ConnectAsync(_server, bob.Device))
        {
            Assert.Equal("keep", (await TestSockets.ReceiveMessageAsync(first)).Id);
            await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "gone without ack", CancellationToken.None);
        }

        using WebSocket second = await TestSockets.ConnectAsync(_server, bob.Device);
        Assert.Equal("keep", (await TestSockets.ReceiveMessageAsync(second)).Id);
    }

    [Fact]
    public async Task A_device_cannot_read_or_acknowledge_another_devices_mail()
    {
        var (alice, bob, group) = await PairAsync();
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "for-bob"));
        TestUser mallory = await TestUser.RegisterAsync(_server);

        using var ack = await mallory.Device.Client.DeleteAsync("/v1/mailbox/for-bob");

        Assert.Equal((404, "message_not_found"), Short(await TestHttp.ProblemAsync(ack)));
        Assert.Empty(await TestMailbox.ReadAsync(mallory.Device));
        Assert.Single(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task Undelivered_messages_expire_after_the_retention_time()
    {
        var (alice, bob, group) = await PairAsync();
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1)));

        _server.Time.Advance(TimeSpan.FromDays(29));
        Assert.Single(await TestMailbox.ReadAsync(bob.Device));
        _server.Time.Advance(TimeSpan.FromDays(2));
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));

        var expiry = _server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<MailboxExpiry>().Single();
        await expiry.SweepAsync(CancellationToken.None);
        _server.Time.Advance(TimeSpan.FromDays(-31));
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task An_oversized_websocket_frame_closes_the_connection_with_1009()
    {
        var (_, bob, _) = await PairAsync();
        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);

        await socket.SendAsync(new byte[10_000], WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await TestSockets.ReadUntilClosedAsync(socket)).Status);
    }

    [Fact]
    public async Task A_frame_that_is_not_an_ack_closes_the_connection_with_1008()
    {
        var (_, bob, _) = await PairAsync();
        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);

        await TestSockets.SendAsync(socket, """{"type":"read","id":"x"}""");

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await TestSockets.ReadUntilClosedAsync(socket)).Status);
    }

    [Fact]
    public async Task A_second_connection_of_the_same_device_replaces_the_first()
    {
        var (_, bob, _) = await PairAsync();
        using WebSocket first = await TestSockets.ConnectAsync(_server, bob.Device);
        using WebSocket second = await TestSockets.ConnectAsync(_server, bob.Device);

        Assert.Equal((WebSocketCloseStatus)4000, (await TestSockets.ReadUntilClosedAsync(first)).Status);
    }

    [Fact]
    public async Task The_websocket_requires_a_device_credential()
    {
        var client = _server.Server.CreateWebSocketClient();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(new Uri(_server.Server.BaseAddress, "/v1/ws"), CancellationToken.None));
        Assert.Contains("401", ex.Message, StringComparison.Ordinal);
    }

    private async Task<(TestUser, TestUser, TestGroup)> PairAsync()
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

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (int i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail("The condition did not become true within 5 seconds.");
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
