// The Kestrel relay (bench/Parley.Echo) as a relay target: the ceiling of the stack Parley is built on.
using System.Buffers.Binary;
using System.Net.WebSockets;
using Parley.Client.Groups;

namespace Parley.Load;

/// <summary>bench/Parley.Echo's /relay/{id}: each device holds one WebSocket; a frame [recipient][payload] is forwarded
/// in memory to the recipient's socket.</summary>
internal sealed class EchoTarget : IRelayTarget
{
    private readonly ChildProcess _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _receivers = [];
    private WebSocket[] _sockets = [];

    private readonly string _folder;

    private EchoTarget(ChildProcess server, string folder)
    {
        _server = server;
        _folder = folder;
    }

    public string Name => "echo";

    public string Description => "Kestrel WebSocket relay (bench/Parley.Echo), in memory";

    public IReadOnlyList<int> ServerPids => [_server.Pid];

    /// <summary>The relay's HTTP address.</summary>
    public Uri Address => _server.Address;

    public static async Task<EchoTarget> StartAsync(CancellationToken cancellationToken)
    {
        string dll = Path.Combine(ChildProcess.RepositoryRoot(), "bench", "Parley.Echo", "bin", "Release", "net10.0", "Parley.Echo.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build it first: dotnet build -c Release bench/Parley.Echo", dll);
        }
        string folder = Directory.CreateTempSubdirectory("parley-echo-").FullName;
        return new EchoTarget(await ChildProcess.StartAsync("echo", dll, ["--urls", "http://127.0.0.1:0"], folder, cancellationToken), folder);
    }

    public Task<IReadOnlyList<DeviceLeaf>> SetUpDevicesAsync(int count, CancellationToken cancellationToken)
    {
        _sockets = new WebSocket[count];
        return Task.FromResult(LocalLeaves.Create(count, "echo"));
    }

    public Task RegisterGroupAsync(int creator, NewGroup group, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ConnectAsync(Action<int, ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken)
    {
        for (int i = 0; i < _sockets.Length; i++)
        {
            int device = i;
            var uri = new UriBuilder(_server.Address) { Scheme = "ws", Path = $"/relay/{device}" }.Uri;
            WebSocket socket = _sockets[device] = await LoopbackWebSocket.ConnectAsync(uri, null, null, cancellationToken);
            _receivers.Add(Task.Run(async () =>
            {
                byte[] buffer = new byte[64 * 1024];
                using var frame = new MemoryStream();
                while (socket.State == WebSocketState.Open)
                {
                    frame.SetLength(0);
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            return;
                        }
                        frame.Write(buffer, 0, result.Count);
                    }
                    while (!result.EndOfMessage);
                    onMessage(device, frame.GetBuffer().AsMemory(0, (int)frame.Length));
                }
            }, CancellationToken.None));
        }
    }

    public async Task SendAsync(int from, int to, byte[] groupId, string id, byte[] message, CancellationToken cancellationToken)
    {
        byte[] frame = new byte[4 + message.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, to);
        message.CopyTo(frame.AsSpan(4));
        await _sockets[from].SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket?.Abort();
            socket?.Dispose();
        }
        foreach (var receiver in _receivers)
        {
            try
            {
                await receiver;
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
            {
                // Stopped.
            }
        }
        _stop.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
