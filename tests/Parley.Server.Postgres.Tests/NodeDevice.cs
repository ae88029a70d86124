using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Parley.Mls.Crypto;
using Parley.Server.Accounts;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>One person's device as a client would drive it against several nodes behind no load
/// balancer: it talks to its current node and, when that node stops answering, moves to the next
/// one that does, retrying a send with the same message id. Its WebSocket acknowledges every frame
/// and records what arrived over which connection.</summary>
public sealed class NodeDevice : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IReadOnlyList<ServerNode> _nodes;
    private readonly CancellationTokenSource _stop = new();
    private int _node;
    private Task? _receiving;

    private NodeDevice(string username, SignatureKeyPair identity, SignatureKeyPair key, string credential, IReadOnlyList<ServerNode> nodes,
        int node)
    {
        Username = username;
        Identity = identity;
        Key = key;
        Credential = credential;
        _nodes = nodes;
        _node = node;
    }

    public string Username { get; }

    public SignatureKeyPair Identity { get; }

    public SignatureKeyPair Key { get; }

    public string Id => DeviceId.FromSignatureKey(Key.PublicKey).Value;

    public string Credential { get; }

    /// <summary>The node this device talks to now.</summary>
    public ServerNode Node => _nodes[Volatile.Read(ref _node)];

    /// <summary>Every frame received: (message id, the node whose socket delivered it, when).</summary>
    public ConcurrentQueue<(string Id, string Node, int Connection)> Received { get; } = new();

    /// <summary>How many WebSocket connections were opened.</summary>
    public int Connections => _connections;

    private int _connections;

    /// <summary>Registers a user with one device: the challenge from <paramref name="challengeNode"/>,
    /// the registration on the node at <paramref name="node"/>.</summary>
    public static async Task<NodeDevice> RegisterAsync(string username, IReadOnlyList<ServerNode> nodes, int node, ServerNode challengeNode)
    {
        SignatureKeyPair identity = TestMls.Suite.GenerateSignatureKeyPair();
        SignatureKeyPair key = TestMls.Suite.GenerateSignatureKeyPair();
        using var anonymous = new HttpClient { BaseAddress = challengeNode.Address };
        using var issued = await anonymous.PostAsync("/v1/challenges", null);
        await EnsureAsync(issued);
        byte[] challenge = (await issued.Content.ReadFromJsonAsync<ChallengeResponse>(Json))!.Challenge;
        byte[] proof = AccountSignatures.Register(challenge, username, identity.PublicKey, 1, key.PublicKey);
        var body = new
        {
            username,
            identityKey = identity.PublicKey,
            challenge,
            signature = AccountSignatures.Sign(identity.PrivateKey, proof),
            device = new
            {
                cipherSuite = 1,
                signatureKey = key.PublicKey,
                certificate = AccountSignatures.Sign(identity.PrivateKey, AccountSignatures.DeviceCertificate(username, 1, key.PublicKey)),
            },
        };
        using var registering = new HttpClient { BaseAddress = nodes[node].Address };
        using var registered = await registering.PostAsJsonAsync("/v1/accounts", body);
        await EnsureAsync(registered);
        var response = (await registered.Content.ReadFromJsonAsync<RegisterResponse>(Json))!;
        return new NodeDevice(username, identity, key, response.Credential, nodes, node);
    }

    /// <summary>Uploads <paramref name="count"/> one-time key packages and a last-resort one.</summary>
    public async Task UploadKeyPackagesAsync(int count)
    {
        var request = new
        {
            keyPackages = Enumerable.Range(0, count).Select(_ => TestMls.KeyPackage(Id, Key)).ToArray(),
            lastResort = TestMls.KeyPackage(Id, Key, lastResort: true),
        };
        using var response = await SendAsync(client => client.PostAsJsonAsync("/v1/keypackages", request));
        await EnsureAsync(response);
    }

    /// <summary>Claims one key package of each of <paramref name="username"/>'s devices.</summary>
    public async Task<IReadOnlyList<ClaimedKeyPackageEntry>> ClaimAsync(string username)
    {
        using var response = await SendAsync(client => client.PostAsync($"/v1/accounts/{username}/keypackages/claim", null));
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<ClaimKeyPackagesResponse>(Json))!.KeyPackages;
    }

    /// <summary>Creates a group with this device at leaf 0; the signer signs its members' handshake messages from then on.</summary>
    public async Task<GroupSigner> CreateGroupAsync(string groupId)
    {
        var (signer, genesis) = GroupSigner.Create(new Parley.Server.Groups.GroupId(groupId).ToBytes(), Key);
        using var response = await SendAsync(client => client.PostAsJsonAsync("/v1/groups", new { groupId, cipherSuite = 1, groupInfo = genesis }));
        await EnsureAsync(response);
        return signer;
    }

    /// <summary>The group's current epoch.</summary>
    public async Task<ulong> EpochAsync(string groupId)
    {
        using var response = await SendAsync(client => client.GetAsync($"/v1/groups/{groupId}"));
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<Parley.Server.Groups.GroupResponse>(Json))!.Epoch;
    }

    /// <summary>Sends a message to the group, moving to another node and retrying with the same id
    /// while nodes fail; returns the final status and body.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostMessageAsync(string groupId, string id, byte[] message, byte[]? welcome = null,
        GroupSigner? signer = null)
    {
        // A commit or proposal is signed as this device's client signs it.
        SignedHandshake? signed = signer?.TrySign(Id, Key, false, message);
        using var response = await SendAsync(client => client.PostAsJsonAsync($"/v1/groups/{groupId}/messages",
            new { id, message = signed?.Message ?? message, welcome, groupInfo = signed?.GroupInfo }));
        if (response.IsSuccessStatusCode && signed is not null)
        {
            signer!.Accepted(signed);
        }
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Json));
    }

    /// <summary>The unacknowledged messages left in the mailbox.</summary>
    public async Task<int> MailboxCountAsync()
    {
        using var response = await SendAsync(client => client.GetAsync("/v1/mailbox?limit=500"));
        await EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<MailboxResponse>(Json))!.Messages.Count;
    }

    /// <summary>Revokes <paramref name="deviceId"/> (of this account) with a challenge from <paramref name="challengeNode"/>,
    /// sending the revocation to the current node.</summary>
    public async Task RevokeAsync(string deviceId, ServerNode challengeNode)
    {
        using var anonymous = new HttpClient { BaseAddress = challengeNode.Address };
        using var issued = await anonymous.PostAsync("/v1/challenges", null);
        await EnsureAsync(issued);
        byte[] challenge = (await issued.Content.ReadFromJsonAsync<ChallengeResponse>(Json))!.Challenge;
        byte[] signature = AccountSignatures.Sign(Identity.PrivateKey, AccountSignatures.RevokeDevice(challenge, Username, deviceId));
        using var response = await SendAsync(client => client.PostAsJsonAsync($"/v1/devices/{deviceId}/revoke", new { challenge, signature }));
        await EnsureAsync(response);
    }

    /// <summary>Opens a delivery WebSocket to <paramref name="node"/> (not the managed one of <see cref="StartReceiving"/>).</summary>
    public async Task<ClientWebSocket> ConnectAsync(ServerNode node)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {Credential}");
        await socket.ConnectAsync(new UriBuilder(node.Address) { Scheme = "ws", Path = "/v1/ws" }.Uri, CancellationToken.None);
        return socket;
    }

    /// <summary>Keeps a WebSocket open to the current node (reconnecting to another node when it
    /// drops), acknowledging and recording every message.</summary>
    public void StartReceiving() => _receiving = Task.Run(ReceiveLoopAsync);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_receiving is not null)
        {
            try
            {
                await _receiving;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 20];
        while (!_stop.IsCancellationRequested)
        {
            ServerNode node = Node;
            if (!node.IsRunning)
            {
                MoveOn(node);
                continue;
            }
            int connection = Interlocked.Increment(ref _connections);
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {Credential}");
            try
            {
                await socket.ConnectAsync(new UriBuilder(node.Address) { Scheme = "ws", Path = "/v1/ws" }.Uri, _stop.Token);
                while (true)
                {
                    int length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                        length += result.Count;
                    }
                    while (!result.EndOfMessage);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    var entry = JsonSerializer.Deserialize<MailboxEntry>(buffer.AsSpan(0, length), Json)!;
                    Received.Enqueue((entry.Id, node.Name, connection));
                    await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"ack","id":"{{entry.Id}}"}"""), WebSocketMessageType.Text,
                        true, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException)
            {
                // The node went away: reconnect below.
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (!node.IsRunning)
            {
                MoveOn(node);
            }
            try
            {
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpClient, Task<HttpResponseMessage>> request)
    {
        for (int attempt = 0; ; attempt++)
        {
            ServerNode node = Node;
            using var client = new HttpClient { BaseAddress = node.Address, Timeout = TimeSpan.FromSeconds(20) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Credential);
            try
            {
                return await request(client);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && attempt < 5)
            {
                // No answer: whether the node got the request is unknown, so try the same request (same id) elsewhere.
                MoveOn(node);
                await Task.Delay(100);
            }
        }
    }

    private void MoveOn(ServerNode from)
    {
        int current = Array.IndexOf(_nodes.ToArray(), from);
        for (int step = 1; step <= _nodes.Count; step++)
        {
            int next = (current + step) % _nodes.Count;
            if (_nodes[next].IsRunning)
            {
                Interlocked.CompareExchange(ref _node, next, current);
                return;
            }
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
