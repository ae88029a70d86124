// The Parley server as a relay target: devices registered over the real protocol, each pair's group registered and
// its Add commit sent, messages sent with POST /v1/groups/{id}/messages (or, sealed, POST /v1/groups/{id}/sealed without
// the device's credential, signed by the epoch's delivery key) and received on the delivery WebSocket.
using System.Net.WebSockets;
using Parley.Client.Groups;
using Parley.Client.Network;

namespace Parley.Load;

/// <summary>Parley (one node or several) under the 1:1 relay workload.</summary>
internal sealed class ParleyTarget : IRelayTarget
{
    private readonly ParleyCluster _cluster;
    private readonly SocketsHttpHandler _handler = ProtocolDevice.SharedHandler();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _receivers = [];
    private readonly List<WebSocket> _sockets = [];
    private ProtocolDevice[] _devices = [];

    private readonly bool _ownsCluster;
    private readonly bool _sealed;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Parley.Content.SealedSigner> _signers = new();

    private readonly bool _binaryFrames;
    private readonly string? _name;

    private ParleyTarget(ParleyCluster cluster, bool ownsCluster, bool sealedSending = false, bool binaryFrames = true, string? name = null)
    {
        _cluster = cluster;
        _ownsCluster = ownsCluster;
        _sealed = sealedSending;
        _binaryFrames = binaryFrames;
        _name = name;
    }

    public string Name => _name ?? (_sealed ? "parley-sealed" : "parley");

    public string Description => (_name is null ? "" : _name + ": ") + (_sealed ? "Parley sealed, " : "Parley, ") + _cluster.Description
        + (_binaryFrames ? "" : ", JSON delivery frames");

    public IReadOnlyList<int> ServerPids => _cluster.Pids.ToList();

    public IReadOnlyList<int> DatabasePids => _cluster.DatabasePids;

    /// <summary>Starts the servers; with <paramref name="sealedSending"/>, every message goes sealed. Devices ask for binary
    /// delivery frames unless <paramref name="binaryFrames"/> is false (then they speak JSON, as clients before them did);
    /// <paramref name="serverDll"/> runs another build of the server, and <paramref name="name"/> names the target.</summary>
    public static async Task<ParleyTarget> StartAsync(StorageEngine engine, int nodes, CancellationToken cancellationToken, bool sealedSending = false,
        bool binaryFrames = true, string? serverDll = null, string? name = null)
        => new(await ParleyCluster.StartAsync(engine, nodes, [], cancellationToken, serverDll: serverDll), ownsCluster: true, sealedSending,
            binaryFrames, name);

    /// <summary>A target on servers that are already running (and stay running when it is disposed).</summary>
    public static ParleyTarget Over(ParleyCluster cluster) => new(cluster, ownsCluster: false);

    public async Task<IReadOnlyList<DeviceLeaf>> SetUpDevicesAsync(int count, CancellationToken cancellationToken)
    {
        string prefix = "lr" + Guid.NewGuid().ToString("N")[..6];
        _devices = await ProtocolDevice.RegisterManyAsync(count, prefix, _cluster.NodeFor, _handler, keepKeys: true, parallel: 16, cancellationToken);
        return _devices.Select(d => d.Leaf!).ToList();
    }

    public async Task RegisterGroupAsync(int creator, NewGroup group, CancellationToken cancellationToken)
    {
        ParleyServerClient server = _devices[creator].Server!;
        await server.CreateGroupAsync(group.GroupId, 1, group.Genesis, cancellationToken, group.DeliveryKey0);
        await server.SendMessageAsync(group.GroupId,
            new SendRequest(Parley.Content.ContentEnvelope.NewMessageId(), group.Commit, group.Welcome, group.GroupInfo, group.DeliveryKey1), cancellationToken);
        _signers[Convert.ToHexString(group.GroupId)] = new Parley.Content.SealedSigner(group.SealedSeed1);
    }

    public async Task ConnectAsync(Action<int, ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken)
    {
        foreach (var device in _devices)
        {
            WebSocket socket = await LoopbackWebSocket.ConnectAsync(DeliveryReceiver.WebSocketUri(device.Node), null, "Bearer " + device.Credential,
                cancellationToken, _binaryFrames ? Parley.Content.DeliveryFrame.SubProtocol : null);
            _sockets.Add(socket);
            int index = device.Index;
            _receivers.Add(Task.Run(() => DeliveryReceiver.RunAsync(socket, entry => onMessage(index, entry.Message), acknowledge: true, _stop.Token),
                CancellationToken.None));
        }
    }

    public Task SendAsync(int from, int to, byte[] groupId, string id, byte[] message, CancellationToken cancellationToken)
    {
        if (!_sealed)
        {
            return _devices[from].Server!.SendMessageAsync(groupId, new SendRequest(id, message, null), cancellationToken);
        }
        // Sealed: signed per message with the epoch's key pair, derived once per epoch as ParleyClient does (the signature is
        // part of what sealed sending costs the sender).
        Parley.Content.SealedSigner signer = _signers[Convert.ToHexString(groupId)];
        var request = new SealedSendRequest(id, message, signer.DeliveryKey, signer.Sign(groupId, id, message));
        return _devices[from].Server!.SendSealedAsync(groupId, request, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket.Abort();
            socket.Dispose();
        }
        await Task.WhenAll(_receivers.Select(async t =>
        {
            try
            {
                await t;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
            {
                // Stopped.
            }
        }));
        foreach (var device in _devices)
        {
            device.Dispose();
        }
        foreach (Parley.Content.SealedSigner signer in _signers.Values)
        {
            signer.Dispose();
        }
        _handler.Dispose();
        _stop.Dispose();
        if (_ownsCluster)
        {
            await _cluster.DisposeAsync();
        }
    }
}
