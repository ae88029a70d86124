using System.Net.WebSockets;
using System.Text;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

/// <summary>How the delivery WebSocket ends when the device breaks its protocol, over real TCP on loopback (Kestrel, not
/// the in-memory test server, so a reset would show as one): a close frame with a status and a reason, never a reset; and
/// acknowledgements beyond what was pushed are rate-limited.</summary>
public sealed class DeliverySocketCloseTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinute"] = "40" });
    private Uri _socketAddress = null!;

    public Task InitializeAsync()
    {
        _socketAddress = new UriBuilder(_server.StartKestrel()) { Scheme = "ws", Path = "/v1/ws" }.Uri;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, int, string> ProtocolErrors => new()
    {
        { "not an ack", (int)WebSocketCloseStatus.PolicyViolation, "expected {\"type\":\"ack\",\"id\":...} or {\"type\":\"ack\",\"ids\":[...]}" },
        { "too large", (int)WebSocketCloseStatus.MessageTooBig, "frame too large" },
        { "binary", (int)WebSocketCloseStatus.InvalidMessageType, "device frames are JSON text" },
    };

    [Theory]
    [MemberData(nameof(ProtocolErrors))]
    public async Task A_protocol_error_closes_the_socket_with_a_status_and_a_reason_even_while_the_device_keeps_sending(
        string error, int status, string reason)
    {
        TestUser bob = await TestUser.RegisterAsync(_server);
        using ClientWebSocket socket = await ConnectAsync(bob.Device);

        (byte[] frame, WebSocketMessageType type) = error switch
        {
            "not an ack" => (Encoding.UTF8.GetBytes("""{"type":"read","id":"x"}"""), WebSocketMessageType.Text),
            "too large" => (Encoding.UTF8.GetBytes(new string(' ', 64 * 1024)), WebSocketMessageType.Text),
            _ => (new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary),
        };
        await socket.SendAsync(frame, type, true, CancellationToken.None);
        // A device that does not stop at once: frames the server will never read are still in flight when it closes.
        for (int i = 0; i < 20; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(new string('x', 2000)), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        var (closeStatus, description) = await ReadCloseAsync(socket);
        Assert.Equal(((WebSocketCloseStatus)status, reason), (closeStatus, description));
    }

    [Fact]
    public async Task A_flood_of_acknowledgements_of_nothing_pushed_closes_the_socket_with_4029_after_the_request_limit()
    {
        TestUser bob = await TestUser.RegisterAsync(_server);
        using ClientWebSocket socket = await ConnectAsync(bob.Device);

        // Bob's window holds 40 requests a minute; none of these acknowledges anything pushed to him.
        for (int i = 0; i < 100; i++)
        {
            await TestSockets.AckAsync(socket, $"never-sent-{i}");
        }

        var (status, description) = await ReadCloseAsync(socket);
        Assert.Equal(((WebSocketCloseStatus)4029, "too many acknowledgements; reconnect later"), (status, description));
    }

    [Fact]
    public async Task Acknowledging_every_pushed_message_costs_no_request_however_many_there_are()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, users: 3);
        TestUser alice = users[0], bob = users[1], carol = users[2];
        // More messages than bob's whole request window (40 a minute) holds, from two senders so neither runs out of its own.
        foreach (var (sender, first) in new[] { (alice, 0), (carol, 30) })
        {
            for (int i = first; i < first + 30; i++)
            {
                await TestHttp.EnsureAsync(await group.SendAsync(sender.Device, TestMls.Application(group.Id, group.Epoch), id: $"m-{i}"));
            }
        }

        using ClientWebSocket socket = await ConnectAsync(bob.Device);
        for (int i = 0; i < 60; i++)
        {
            MailboxEntry entry = await TestSockets.ReceiveMessageAsync(socket);
            await TestSockets.AckAsync(socket, entry.Id);
        }

        await MailboxTests.WaitUntilAsync(async () => (await TestMailbox.ReadAsync(bob.Device)).Count == 0);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    private async Task<ClientWebSocket> ConnectAsync(TestDevice device)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {device.Credential}");
        await socket.ConnectAsync(_socketAddress, CancellationToken.None);
        return socket;
    }

    // Reads until the server's close frame and answers it; a reset instead of a close frame fails here.
    private static async Task<(WebSocketCloseStatus? Status, string? Description)> ReadCloseAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                return (result.CloseStatus, result.CloseStatusDescription);
            }
        }
    }
}
