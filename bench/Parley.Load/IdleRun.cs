// Idle authenticated delivery WebSockets on one Parley node: register N devices over the real protocol, open one
// delivery WebSocket per device (from 127.0.0.1, 127.0.0.2, ... so the source ports do not run out), hold them,
// and divide the server's resident-memory growth by the number of connections.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;

namespace Parley.Load;

/// <summary>What the idle-connection run measured.</summary>
internal sealed record IdleReport(
    string Server, int Requested, int Connected, int Failed, int OpenAtEnd, double RegisterSeconds, double ConnectSeconds, double ConnectionsPerSecond,
    double ServerRssBeforeMiB, double ServerRssAfterMiB, double ServerPeakRssMiB, double BytesPerConnection, double HarnessRssMiB,
    double? PushWhileHeldMs, string LoadAverage, string Machine);

/// <summary>The "idle" mode.</summary>
internal static class IdleRun
{
    public static async Task<int> RunAsync(LoadArgs a, CancellationToken cancellationToken)
    {
        int count = a.Int("--connections", 1000);
        int perAddress = a.Int("--per-address", 20000);
        int hold = a.Int("--hold", 10);
        ulong files = OpenFiles.Raise((ulong)count * 2 + 20000);
        Console.Error.WriteLine($"open-file limit {files}");
        await using var cluster = await ParleyCluster.StartAsync(Enum.Parse<StorageEngine>(a.String("--engine") ?? "sqlite", ignoreCase: true), 1, [],
            cancellationToken);
        int pid = cluster.Pids.Single();
        using var handler = ProtocolDevice.SharedHandler();
        var clock = Stopwatch.StartNew();
        string prefix = "li" + Guid.NewGuid().ToString("N")[..6];
        // Two extra devices (not counted) check at the end that a message still reaches a device promptly.
        var devices = await ProtocolDevice.RegisterManyAsync(count, prefix, cluster.NodeFor, handler, keepKeys: false, a.Int("--parallel", 32),
            cancellationToken);
        double registerSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{count:N0} devices registered in {registerSeconds:F1} s");

        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var before = ProcessStats.Of(pid);
        Console.Error.WriteLine($"server RSS before connecting: {before.RssMiB:F1} MiB");

        var sockets = new WebSocket?[count];
        var receivers = new ConcurrentBag<Task>();
        int failed = 0, connected = 0;
        using var stop = new CancellationTokenSource();
        Uri ws = DeliveryReceiver.WebSocketUri(cluster.NodeFor(0));
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = a.Int("--connect-parallel", 64), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    WebSocket socket = await LoopbackWebSocket.ConnectAsync(ws, LoopbackWebSocket.SourceFor(i, perAddress), "Bearer " + devices[i].Credential, ct);
                    sockets[i] = socket;
                    receivers.Add(DeliveryReceiver.RunAsync(socket, _ => { }, acknowledge: true, stop.Token));
                    int n = Interlocked.Increment(ref connected);
                    if (count >= 1000 && n % (count / 10) == 0)
                    {
                        Console.Error.WriteLine($"  connected {n:N0}");
                    }
                }
                catch (Exception e) when (e is WebSocketException or IOException or System.Net.Sockets.SocketException)
                {
                    if (Interlocked.Increment(ref failed) <= 5)
                    {
                        Console.Error.WriteLine($"  connection {i} failed: {e.Message}");
                    }
                }
            });
        double connectSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{connected:N0} connected ({failed} failed) in {connectSeconds:F1} s; holding {hold} s");
        await Task.Delay(TimeSpan.FromSeconds(hold), cancellationToken);
        var after = ProcessStats.Of(pid);
        int open = sockets.Count(s => s?.State == WebSocketState.Open);
        double perConnection = connected == 0 ? 0 : (after.RssBytes - before.RssBytes) / (double)connected;
        var self = ProcessStats.Self();

        // With everything held: how long does one message take to reach one of the idle devices?
        double? pushMs = await ProbePushAsync(cluster, cancellationToken);

        var report = new IdleReport(cluster.Description, count, connected, failed, open, Math.Round(registerSeconds, 1), Math.Round(connectSeconds, 1),
            Math.Round(connected / connectSeconds), Math.Round(before.RssMiB, 1), Math.Round(after.RssMiB, 1), Math.Round(after.PeakRssMiB, 1),
            Math.Round(perConnection), Math.Round(self.RssMiB, 1), pushMs is null ? null : Math.Round(pushMs.Value, 2),
            File.ReadAllText("/proc/loadavg").Split(' ')[0], Machine.Describe());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            idle connections  {report.Connected:N0} of {report.Requested:N0} ({report.Failed} failed), {report.OpenAtEnd:N0} open after {hold} s, {report.Server}
            connect rate      {report.ConnectionsPerSecond:N0} /s ({report.ConnectSeconds} s); registration {report.RegisterSeconds} s
            server RSS        {report.ServerRssBeforeMiB:F1} MiB before, {report.ServerRssAfterMiB:F1} MiB after (peak {report.ServerPeakRssMiB:F1} MiB)
            per connection    {report.BytesPerConnection:N0} bytes ({report.BytesPerConnection / 1024:F2} KiB)
            push while held   {(report.PushWhileHeldMs is { } p ? $"{p:F2} ms" : "n/a")} (one message to one more device, with every connection open)
            harness RSS       {report.HarnessRssMiB:F1} MiB
            load average      {report.LoadAverage}   {report.Machine}
            """));
        if (a.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(report, LoadJson.Default.IdleReport));
        }
        await stop.CancelAsync();
        foreach (var socket in sockets)
        {
            socket?.Abort();
            socket?.Dispose();
        }
        foreach (var receiver in receivers)
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
        return failed == 0 && open == connected ? 0 : 1;
    }

    // Two more devices in a pair group: one sends, the other (connected) receives; returns the latency of one message.
    private static async Task<double?> ProbePushAsync(ParleyCluster cluster, CancellationToken cancellationToken)
    {
        await using var target = ParleyTarget.Over(cluster);
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
}
