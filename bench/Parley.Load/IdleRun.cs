// Idle authenticated connections on one server: register N devices (users), open one connection per device (from
// 127.0.0.1, 127.0.0.2, ... so the source ports do not run out), hold them, and divide the server's resident-memory
// growth by the number of connections. Parley: the delivery WebSocket, authenticated. ejabberd: a c2s session,
// authenticated and bound. echo: a bare Kestrel WebSocket (no authentication, nothing per connection but Kestrel's).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace Parley.Load;

/// <summary>What the idle-connection run measured.</summary>
internal sealed record IdleReport(
    string Server, int Requested, int Connected, int Failed, int Refused, int OpenAtEnd, double RegisterSeconds, double ConnectSeconds, double ConnectionsPerSecond,
    double ServerRssBeforeMiB, double ServerRssAfterMiB, double ServerPeakRssMiB, double BytesPerConnection, double HarnessRssMiB,
    double? PushWhileHeldMs, string LoadAverage, string Machine);

/// <summary>The "idle" mode: idle [--target parley|ejabberd|echo] [--connections 1000] [--per-address 5000] [--hold 10]
/// [--warm 0] [--inspect CMD].</summary>
internal static class IdleRun
{
    public static async Task<int> RunAsync(LoadArgs a, CancellationToken cancellationToken)
    {
        string loadAtStart = MachineCpu.LoadAverage();
        string target = a.String("--target") ?? "parley";
        int count = a.Int("--connections", 1000);
        int perAddress = a.Int("--per-address", 5000);
        int hold = a.Int("--hold", 10);
        ulong files = OpenFiles.Raise((ulong)count * 2 + 20000);
        Console.Error.WriteLine($"open-file limit {files} (this process and the servers it starts)");
        if ((ulong)count + 200 > files)
        {
            Console.Error.WriteLine($"{count:N0} connections need more open files than the limit allows in one process; raise ulimit -Hn.");
            return 2;
        }

        await using var idle = await IdleTarget.StartAsync(target, a, cancellationToken);
        var clock = Stopwatch.StartNew();
        await idle.RegisterAsync(count, a.Int("--parallel", 32), cancellationToken);
        double registerSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{count:N0} accounts registered in {registerSeconds:F1} s");

        int failed = 0, connected = 0, refused = 0;
        async Task ConnectRangeAsync(int from, int to)
        {
            await Parallel.ForEachAsync(Enumerable.Range(from, to - from),
                new ParallelOptions { MaxDegreeOfParallelism = a.Int("--connect-parallel", 64), CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    try
                    {
                        await idle.ConnectAsync(i, LoopbackWebSocket.SourceFor(i, perAddress), ct);
                        int n = Interlocked.Increment(ref connected);
                        if (count >= 1000 && n % (count / 10) == 0)
                        {
                            Console.Error.WriteLine($"  connected {n:N0}");
                        }
                    }
                    catch (WebSocketException e) when (e.Message.Contains(" 503 ", StringComparison.Ordinal)
                                                       || e.Message.Contains("closed the connection during the handshake", StringComparison.Ordinal))
                    {
                        // The server's connection budget is spent: 503 server_full, or, past its TCP budget, the socket closed
                        // as soon as it was accepted. Refused as designed, not failed.
                        if (Interlocked.Increment(ref refused) <= 2)
                        {
                            Console.Error.WriteLine($"  connection {i} refused: {e.Message}");
                        }
                    }
                    catch (Exception e) when (e is WebSocketException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
                    {
                        if (Interlocked.Increment(ref failed) <= 5)
                        {
                            Console.Error.WriteLine($"  connection {i} failed: {e.Message}");
                        }
                    }
                });
        }

        // --warm W opens W connections before the "before" reading, so the one-time costs of the first connections (code
        // compiled on first use, thread-pool threads, pools filling) stay out of the per-connection figure: it is then the
        // marginal cost of the other N - W.
        int warm = Math.Clamp(a.Int("--warm", 0), 0, count);
        if (warm > 0)
        {
            await ConnectRangeAsync(0, warm);
            Console.Error.WriteLine($"{connected:N0} warm-up connections open ({failed} failed)");
        }
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var before = ProcessStats.Of(idle.Pid);
        int connectedBefore = connected;
        Console.Error.WriteLine($"server RSS before connecting: {before.RssMiB:F1} MiB");
        await InspectAsync(a.String("--inspect"), idle.Pid, "before", cancellationToken);

        clock.Restart();
        await ConnectRangeAsync(warm, count);
        double connectSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{connected:N0} connected ({failed} failed, {refused} refused) in {connectSeconds:F1} s; holding {hold} s");
        await Task.Delay(TimeSpan.FromSeconds(hold), cancellationToken);
        var after = ProcessStats.Of(idle.Pid);
        await InspectAsync(a.String("--inspect"), idle.Pid, "after", cancellationToken);
        int open = idle.OpenCount;
        int measured = connected - connectedBefore;
        double perConnection = measured == 0 ? 0 : (after.RssBytes - before.RssBytes) / (double)measured;
        var self = ProcessStats.Self();
        double? pushMs = null;
        try
        {
            pushMs = await idle.ProbePushAsync(cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or Parley.Client.Network.ServerUnavailableException)
        {
            // With the server's budget spent, the probe's devices are refused too.
            Console.Error.WriteLine($"push probe: {e.Message}");
        }

        var report = new IdleReport(idle.Description, count, connected, failed, refused, open, Math.Round(registerSeconds, 1), Math.Round(connectSeconds, 1),
            Math.Round(measured / connectSeconds), Math.Round(before.RssMiB, 1), Math.Round(after.RssMiB, 1), Math.Round(after.PeakRssMiB, 1),
            Math.Round(perConnection), Math.Round(self.RssMiB, 1), pushMs is null ? null : Math.Round(pushMs.Value, 2),
            loadAtStart + "→" + MachineCpu.LoadAverage(), Machine.Describe());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            idle connections  {report.Connected:N0} of {report.Requested:N0} ({report.Failed} failed, {report.Refused:N0} refused), {report.OpenAtEnd:N0} open after {hold} s, {report.Server}
            connect rate      {report.ConnectionsPerSecond:N0} /s ({report.ConnectSeconds} s); registration {report.RegisterSeconds} s
            server RSS        {report.ServerRssBeforeMiB:F1} MiB before, {report.ServerRssAfterMiB:F1} MiB after (peak {report.ServerPeakRssMiB:F1} MiB)
            per connection    {report.BytesPerConnection:N0} bytes ({report.BytesPerConnection / 1024:F2} KiB){(warm > 0 ? $", the last {measured:N0} after {warm:N0} warm-up connections" : "")}
            push while held   {(report.PushWhileHeldMs is { } p ? $"{p:F2} ms" : "n/a")} (one message to one more device, with every connection open)
            harness RSS       {report.HarnessRssMiB:F1} MiB
            load average      {report.LoadAverage}   {report.Machine}
            """));
        if (a.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(report, LoadJson.Default.IdleReport));
        }
        return failed == 0 && open == connected ? 0 : 1;
    }

    /// <summary>Runs <c>{command} {pid} before|after</c> (--inspect) and waits for it: a heap snapshot or a look at
    /// /proc while nothing else moves, taken right after the RSS reading it belongs to.</summary>
    private static async Task InspectAsync(string? command, int pid, string phase, CancellationToken cancellationToken)
    {
        if (command is null)
        {
            return;
        }
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"{command} {pid} {phase}"));
        using Process inspect = Process.Start(info) ?? throw new InvalidOperationException("--inspect did not start.");
        await inspect.WaitForExitAsync(cancellationToken);
    }
}

/// <summary>The server whose idle connections are counted, and how one connection is opened and held.</summary>
internal sealed class IdleTarget : IAsyncDisposable
{
    private readonly ParleyCluster? _cluster;
    private readonly EchoTarget? _echo;
    private readonly XmppTarget? _xmpp;
    private readonly HttpMessageHandler _handler = ProtocolDevice.SharedHandler();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _receivers = [];
    private readonly List<WebSocket> _sockets = [];
    private readonly List<XmppConnection> _sessions = [];
    private ProtocolDevice[] _devices = [];

    private IdleTarget(ParleyCluster? cluster, EchoTarget? echo, XmppTarget? xmpp)
    {
        _cluster = cluster;
        _echo = echo;
        _xmpp = xmpp;
    }

    public string Description => _cluster is not null ? "Parley, " + _cluster.Description : _echo is not null ? _echo.Description : _xmpp!.Description;

    public int Pid => _cluster?.Pids.Single() ?? _echo?.ServerPids[0] ?? _xmpp!.ServerPids[0];

    public int OpenCount
    {
        get
        {
            lock (_sockets)
            {
                return _sockets.Count(s => s.State == WebSocketState.Open) + _receivers.Count(r => !r.IsCompleted && _xmpp is not null);
            }
        }
    }

    public static async Task<IdleTarget> StartAsync(string name, LoadArgs a, CancellationToken cancellationToken) => name switch
    {
        "parley" => new IdleTarget(await ParleyCluster.StartAsync(Enum.Parse<StorageEngine>(a.String("--engine") ?? "sqlite", ignoreCase: true), 1, [],
            cancellationToken), null, null),
        "echo" => new IdleTarget(null, await EchoTarget.StartAsync(cancellationToken), null),
        "ejabberd" => new IdleTarget(null, null, await XmppTarget.StartAsync(cancellationToken)),
        _ => throw new ArgumentException($"Unknown target {name}; use parley, ejabberd or echo."),
    };

    public async Task RegisterAsync(int count, int parallel, CancellationToken cancellationToken)
    {
        string prefix = "li" + Guid.NewGuid().ToString("N")[..6];
        if (_cluster is not null)
        {
            _devices = await ProtocolDevice.RegisterManyAsync(count, prefix, _cluster.NodeFor, _handler, keepKeys: false, parallel, cancellationToken);
        }
        else if (_xmpp is not null)
        {
            await _xmpp.RegisterAsync(count, prefix, cancellationToken);
        }
    }

    public async Task ConnectAsync(int index, IPAddress source, CancellationToken cancellationToken)
    {
        if (_xmpp is not null)
        {
            XmppConnection session = await _xmpp.LogInAsync(index, source, cancellationToken);
            lock (_sockets)
            {
                _sessions.Add(session);
                _receivers.Add(session.ReceiveAsync(_ => { }, _stop.Token));
            }
            return;
        }
        WebSocket socket = _cluster is not null
            ? await LoopbackWebSocket.ConnectAsync(DeliveryReceiver.WebSocketUri(_cluster.NodeFor(0)), source, "Bearer " + _devices[index].Credential,
                cancellationToken)
            : await LoopbackWebSocket.ConnectAsync(new UriBuilder(_echo!.Address) { Scheme = "ws", Path = "/echo" }.Uri, source, null, cancellationToken);
        lock (_sockets)
        {
            _sockets.Add(socket);
            _receivers.Add(DeliveryReceiver.RunAsync(socket, _ => { }, acknowledge: true, _stop.Token));
        }
    }

    /// <summary>Parley only: with every connection held, the time one message takes to reach one more device.</summary>
    public async Task<double?> ProbePushAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null)
        {
            return null;
        }
        await using var target = ParleyTarget.Over(_cluster);
        var leaves = await target.SetUpDevicesAsync(2, cancellationToken);
        using var groups = await PairGroups.CreateAsync(leaves, target.RegisterGroupAsync, cancellationToken);
        var arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await target.ConnectAsync((device, message) =>
        {
            if (device == 1 && groups.Decrypt(1, message) is not null)
            {
                arrived.TrySetResult(Stopwatch.GetTimestamp());
            }
        }, cancellationToken);
        long sent = Stopwatch.GetTimestamp();
        var (id, bytes) = groups.Encrypt(0, LoadText.Format(0, 0, sent));
        await target.SendAsync(0, 1, groups.GroupOf(0), id, bytes, cancellationToken);
        try
        {
            long at = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket.Abort();
            socket.Dispose();
        }
        foreach (var session in _sessions)
        {
            await session.DisposeAsync();
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
        foreach (var device in _devices)
        {
            device.Dispose();
        }
        _handler.Dispose();
        _stop.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        if (_echo is not null)
        {
            await _echo.DisposeAsync();
        }
        if (_xmpp is not null)
        {
            await _xmpp.DisposeAsync();
        }
    }
}
