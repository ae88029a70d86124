using System.Net.WebSockets;
using System.Text;
using Parley.Content;

namespace Parley.Server.Tests;

/// <summary>The delivery WebSocket with the subprotocol parley.binary.v1: binary push frames, binary acknowledgements, and
/// malformed frames closing with a clear code while nothing is deleted.</summary>
public sealed class BinaryDeliveryFrameTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_device_that_asks_for_binary_frames_gets_its_mailbox_pushed_in_binary_and_a_binary_ack_deletes()
    {
        var (alice, bob, group) = await PairAsync();
        byte[] sent = TestMls.Application(group.Id, 1);
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, sent, id: "bin-0"));
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "bin-1"));

        using WebSocket socket = await ConnectBinaryAsync(bob.Device);
        Assert.Equal(DeliveryFrame.SubProtocol, socket.SubProtocol);
        DeliveryFrame.Push first = await ReceivePushAsync(socket);
        DeliveryFrame.Push second = await ReceivePushAsync(socket);

        Assert.Equal(("bin-0", "bin-1"), (first.Id, second.Id));
        Assert.True(first.Sequence < second.Sequence);
        Assert.Equal(sent, first.Message.ToArray());
        Assert.Null(first.Stamp);

        await socket.SendAsync(DeliveryFrame.EncodeAck(["bin-0", "bin-1"]), WebSocketMessageType.Binary, true, CancellationToken.None);
        await MailboxTests.WaitUntilAsync(async () => (await TestMailbox.ReadAsync(bob.Device)).Count == 0);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    public static TheoryData<string, byte[]> MalformedAcks => new()
    {
        { "empty", [] },
        { "a push frame", DeliveryFrame.EncodePush(1, "bad-0", [1, 2, 3], []) },
        { "no ids", [DeliveryFrame.AckType, 0] },
        { "too many ids", [DeliveryFrame.AckType, DeliveryFrame.MaxAckIds + 1,
            .. Enumerable.Range(0, DeliveryFrame.MaxAckIds + 1).SelectMany(i => (byte[])[5, .. "bad-0"u8])] },
        { "an id with a space", [DeliveryFrame.AckType, 2, 5, .. "bad-0"u8, 5, .. "bad 1"u8] },
        { "an empty id", [DeliveryFrame.AckType, 2, 5, .. "bad-0"u8, 0] },
        { "fewer ids than counted", [DeliveryFrame.AckType, 2, 5, .. "bad-0"u8] },
        { "an id cut short", [DeliveryFrame.AckType, 1, 6, .. "bad-0"u8] },
        { "a byte after the last id", [DeliveryFrame.AckType, 1, 5, .. "bad-0"u8, 0] },
    };

    [Theory]
    [MemberData(nameof(MalformedAcks))]
    public async Task A_malformed_binary_ack_closes_the_connection_with_1008_and_deletes_nothing(string what, byte[] frame)
    {
        Assert.NotNull(what);
        var (alice, bob, group) = await PairAsync();
        for (int i = 0; i < 2; i++)
        {
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: $"bad-{i}"));
        }
        using WebSocket socket = await ConnectBinaryAsync(bob.Device);
        await ReceivePushAsync(socket);

        await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await TestSockets.ReadUntilClosedAsync(socket)).Status);
        Assert.Equal(["bad-0", "bad-1"], (await TestMailbox.ReadAsync(bob.Device)).Select(m => m.Id));
    }

    [Fact]
    public async Task A_json_ack_on_a_binary_connection_closes_it_with_1003_and_deletes_nothing()
    {
        var (alice, bob, group) = await PairAsync();
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "text-0"));
        using WebSocket socket = await ConnectBinaryAsync(bob.Device);
        await ReceivePushAsync(socket);

        await TestSockets.AckAsync(socket, "text-0");

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, (await TestSockets.ReadUntilClosedAsync(socket)).Status);
        Assert.Equal(["text-0"], (await TestMailbox.ReadAsync(bob.Device)).Select(m => m.Id));
    }

    [Fact]
    public async Task A_device_that_does_not_ask_for_binary_frames_still_speaks_json()
    {
        var (alice, bob, group) = await PairAsync();
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "json-0"));

        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);

        Assert.Null(socket.SubProtocol);
        Assert.Equal("json-0", (await TestSockets.ReceiveMessageAsync(socket)).Id);
    }

    private async Task<WebSocket> ConnectBinaryAsync(TestDevice device)
    {
        var client = _server.Server.CreateWebSocketClient();
        client.SubProtocols.Add(DeliveryFrame.SubProtocol);
        client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {device.Credential}";
        return await client.ConnectAsync(new Uri(_server.Server.BaseAddress, "/v1/ws"), CancellationToken.None);
    }

    private static async Task<DeliveryFrame.Push> ReceivePushAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[1 << 20];
        int length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
        return DeliveryFrame.DecodePush(buffer.AsMemory(0, length)) ?? throw new InvalidOperationException(
            "Not a push frame: " + Encoding.ASCII.GetString(buffer, 0, Math.Min(length, 64)));
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
}
