using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Parley.Mls.Messages;
using Parley.Server.Groups;
using Parley.Server.Mailboxes;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>Two real server nodes sharing PostgreSQL and Redis, started once for these tests.</summary>
public sealed class TwoNodes : IAsyncLifetime
{
    private TestDatabase? _database;

    public ServerNode[] Nodes { get; private set; } = [];

    public async Task InitializeAsync()
    {
        _database = await ExternalServices.CreateDatabaseAsync();
        string redis = await ExternalServices.RedisAsync();
        Nodes = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => ServerNode.StartAsync($"node{i}", _database.ConnectionString, redis)));
    }

    public async Task DisposeAsync()
    {
        foreach (ServerNode node in Nodes)
        {
            await node.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>What Redis carries between nodes besides "mail arrived": revocations and replacements
/// reach the node that holds the device's WebSocket.</summary>
public sealed class PresenceTests(TwoNodes cluster) : IClassFixture<TwoNodes>
{
    private ServerNode First => cluster.Nodes[0];

    private ServerNode Second => cluster.Nodes[1];

    [Fact]
    public async Task A_device_connected_to_one_node_is_pushed_a_message_accepted_by_the_other_at_once()
    {
        NodeDevice alice = await NodeDevice.RegisterAsync("a" + Guid.NewGuid().ToString("N")[..10], cluster.Nodes, 0, First);
        NodeDevice bob = await NodeDevice.RegisterAsync("b" + Guid.NewGuid().ToString("N")[..10], cluster.Nodes, 1, Second);
        await bob.UploadKeyPackagesAsync(1);
        using ClientWebSocket socket = await bob.ConnectAsync(Second);

        byte[] groupBytes = TestMls.NewGroupId();
        string group = GroupId.FromBytes(groupBytes).Value;
        GroupSigner signer = await alice.CreateGroupAsync(group);
        KeyPackage package = TestMls.DecodeKeyPackage(Assert.Single(await alice.ClaimAsync(bob.Username)).KeyPackage);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostMessageAsync(group, "join", TestMls.Commit(groupBytes, 0, 0, new Add(package)),
            TestMls.Welcome(package), signer)).Status);
        Assert.Equal("join", (await ReceiveAsync(socket)).Id);

        for (int i = 0; i < 5; i++)
        {
            var sent = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.OK, (await alice.PostMessageAsync(group, $"hi-{i}", TestMls.Application(groupBytes, 1))).Status);
            Assert.Equal($"hi-{i}", (await ReceiveAsync(socket)).Id);
            // Pushed, not found by polling: the server pushes only on a wake-up or a new connection.
            Assert.True(sent.Elapsed < TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task Revoking_a_device_through_one_node_closes_its_socket_on_the_other_with_4001()
    {
        NodeDevice alice = await NodeDevice.RegisterAsync("a" + Guid.NewGuid().ToString("N")[..10], cluster.Nodes, 0, Second);
        using ClientWebSocket socket = await alice.ConnectAsync(Second);
        await Task.Delay(300);
        await alice.RevokeAsync(alice.Id, Second);
        Assert.Equal((WebSocketCloseStatus)4001, await ClosedWithAsync(socket));
    }

    [Fact]
    public async Task A_newer_connection_on_another_node_closes_the_older_one_with_4000()
    {
        NodeDevice bob = await NodeDevice.RegisterAsync("b" + Guid.NewGuid().ToString("N")[..10], cluster.Nodes, 0, First);
        using ClientWebSocket older = await bob.ConnectAsync(First);
        await Task.Delay(300);
        using ClientWebSocket newer = await bob.ConnectAsync(Second);
        Assert.Equal((WebSocketCloseStatus)4000, await ClosedWithAsync(older));
        Assert.Equal(WebSocketState.Open, newer.State);
    }

    private static async Task<MailboxEntry> ReceiveAsync(ClientWebSocket socket)
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
        var entry = JsonSerializer.Deserialize<MailboxEntry>(buffer.AsSpan(0, length), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"ack","id":"{{entry.Id}}"}"""), WebSocketMessageType.Text,
            true, timeout.Token);
        return entry;
    }

    private static async Task<WebSocketCloseStatus?> ClosedWithAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[1 << 16];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return result.CloseStatus;
            }
        }
    }
}
