// Fan-out to one large group: a poster in an MLS group of N members (N − 1 other devices, all registered on the
// server and in the server's roster) posts a few messages; for each we time the upload until the server answers
// (every member's copy on disk) and until every connected member has it pushed on its delivery WebSocket.
//
// The poster is a real MLS member and encrypts every post; the members are not: they never join the MLS group (the
// Add commit is sent without a Welcome, which would be megabytes per member at this size), so they cannot decrypt
// and recognise each post by its delivery id. That is all the server sees anyway: it relays ciphertext.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Parley.Client.Network;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Load;

/// <summary>One post's fan-out.</summary>
internal sealed record FanoutPost(int Post, int MessageBytes, double EncryptMs, double AcceptedMs, double AllPushedMs, double PushP50Ms, double PushP99Ms,
    int Pushed);

/// <summary>What the fan-out run measured.</summary>
internal sealed record FanoutReport(
    string Server, int Members, int Connected, double RegisterSeconds, double GroupSeconds, int CommitBytes, double CommitAcceptedMs,
    IReadOnlyList<FanoutPost> Posts, double ServerRssMiB, double ServerCpuSecondsPerPost, string LoadAverage, string Machine);

/// <summary>The "fanout" mode.</summary>
internal static class FanoutRun
{
    public static async Task<int> RunAsync(LoadArgs a, CancellationToken cancellationToken)
    {
        string loadAtStart = MachineCpu.LoadAverage();
        int members = a.Int("--members", 1000);
        int posts = a.Int("--posts", 5);
        int perAddress = a.Int("--per-address", 20000);
        OpenFiles.Raise((ulong)members * 2 + 20000);
        // A group this large needs the server's size limits raised: the Add commit carries one key package per member.
        string big = (256 * 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        await using var cluster = await ParleyCluster.StartAsync(Enum.Parse<StorageEngine>(a.String("--engine") ?? "sqlite", ignoreCase: true),
            a.Int("--nodes", 1), ["--Parley:MaxGroupMembers", (members + 1).ToString(CultureInfo.InvariantCulture), "--Parley:MaxMessageBytes", big,
                "--Parley:MaxRequestBodyBytes", big], cancellationToken);
        using var handler = ProtocolDevice.SharedHandler();
        var clock = Stopwatch.StartNew();
        string prefix = "lf" + Guid.NewGuid().ToString("N")[..6];
        var devices = await ProtocolDevice.RegisterManyAsync(members, prefix, cluster.NodeFor, handler, keepKeys: true, a.Int("--parallel", 32), cancellationToken);
        double registerSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{members:N0} devices registered in {registerSeconds:F1} s");

        // The poster (device 0) creates the group and adds everyone else in one commit.
        clock.Restart();
        byte[] groupId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        using MlsGroup group = devices[0].Leaf!.CreateGroup(groupId, MlsGroupOptions.Default);
        var adds = new Proposal[members - 1];
        Parallel.For(1, members, i => adds[i - 1] = new Add(MlsMessage.Decode(devices[i].Leaf!.NewKeyPackage(DateTimeOffset.UtcNow).Message).KeyPackage!));
        byte[] genesis = new MlsMessage(group.CreateGroupInfo(includeRatchetTree: false, includeExternalPub: false)).ToBytes();
        CommitResult commit = group.Commit(new CommitOptions
        {
            Proposals = adds, RatchetTreeInWelcome = false, CreateGroupInfo = true, RatchetTreeInGroupInfo = false, ExternalPubInGroupInfo = false,
        });
        byte[] commitBytes = commit.Commit.ToBytes();
        double groupSeconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"MLS group of {members:N0} built in {groupSeconds:F1} s; Add commit {commitBytes.Length:N0} bytes");
        ParleyServerClient poster = devices[0].Server!;
        await poster.CreateGroupAsync(groupId, 1, genesis, cancellationToken);
        clock.Restart();
        await poster.SendMessageAsync(groupId, new SendRequest(ContentEnvelope.NewMessageId(), commitBytes, null, commit.GroupInfo!.ToBytes()),
            cancellationToken);
        double commitMs = clock.Elapsed.TotalMilliseconds;
        group.MergePendingCommit();
        Console.Error.WriteLine($"commit accepted in {commitMs:F0} ms");

        // Every member holds its delivery WebSocket and acknowledges what arrives; arrivals are timed per delivery id.
        var arrivals = new ConcurrentDictionary<string, ConcurrentBag<long>>();
        var sockets = new List<WebSocket>();
        var receivers = new List<Task>();
        using var stop = new CancellationTokenSource();
        clock.Restart();
        var connectedSockets = new WebSocket?[members];
        await Parallel.ForEachAsync(Enumerable.Range(1, members - 1), new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                connectedSockets[i] = await LoopbackWebSocket.ConnectAsync(DeliveryReceiver.WebSocketUri(devices[i].Node), LoopbackWebSocket.SourceFor(i, perAddress),
                    "Bearer " + devices[i].Credential, ct, Parley.Content.DeliveryFrame.SubProtocol);
            });
        foreach (var socket in connectedSockets.OfType<WebSocket>())
        {
            sockets.Add(socket);
            receivers.Add(Task.Run(() => DeliveryReceiver.RunAsync(socket, entry =>
            {
                long now = Stopwatch.GetTimestamp();
                arrivals.GetOrAdd(entry.Id, _ => []).Add(now);
            }, acknowledge: true, stop.Token), CancellationToken.None));
        }
        Console.Error.WriteLine($"{sockets.Count:N0} members connected in {clock.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);

        var results = new List<FanoutPost>();
        var cpuBefore = ProcessStats.Of(cluster.Pids);
        // Post 0 warms up (JIT, statement caches) and is left out of the summary.
        for (int p = 0; p <= posts; p++)
        {
            long start = Stopwatch.GetTimestamp();
            var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent(LoadText.Format(0, p, start)));
            byte[] message = group.EncryptApplicationMessage(envelope.Encode()).ToBytes();
            long encrypted = Stopwatch.GetTimestamp();
            await poster.SendMessageAsync(groupId, new SendRequest(envelope.MessageId, message, null), cancellationToken);
            long accepted = Stopwatch.GetTimestamp();
            var wait = Stopwatch.StartNew();
            while ((arrivals.TryGetValue(envelope.MessageId, out var got) ? got.Count : 0) < sockets.Count && wait.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(5, cancellationToken);
            }
            long[] times = arrivals.TryGetValue(envelope.MessageId, out var all) ? [.. all.Order()] : [];
            double Ms(long t) => Stopwatch.GetElapsedTime(encrypted, t).TotalMilliseconds;
            var post = new FanoutPost(p, message.Length, Math.Round(Stopwatch.GetElapsedTime(start, encrypted).TotalMilliseconds, 2),
                Math.Round(Ms(accepted), 1), times.Length == 0 ? double.NaN : Math.Round(Ms(times[^1]), 1),
                times.Length == 0 ? double.NaN : Math.Round(Ms(times[times.Length / 2]), 1),
                times.Length == 0 ? double.NaN : Math.Round(Ms(times[Math.Min(times.Length - 1, (int)(times.Length * 0.99))]), 1), times.Length);
            if (p > 0)
            {
                results.Add(post);
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"post {p}{(p == 0 ? " (warm-up)" : "")}: {post.MessageBytes} B, encrypt {post.EncryptMs} ms, accepted (all {members - 1:N0} copies on disk) {post.AcceptedMs} ms, pushed to {post.Pushed:N0}: p50 {post.PushP50Ms} ms, p99 {post.PushP99Ms} ms, last {post.AllPushedMs} ms"));
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        var cpuAfter = ProcessStats.Of(cluster.Pids);

        var report = new FanoutReport(cluster.Description, members, sockets.Count, Math.Round(registerSeconds, 1), Math.Round(groupSeconds, 1), commitBytes.Length,
            Math.Round(commitMs), results, Math.Round(cpuAfter.RssMiB, 1), Math.Round((cpuAfter.CpuSeconds - cpuBefore.CpuSeconds) / posts, 2),
            loadAtStart + "→" + MachineCpu.LoadAverage(), Machine.Describe());
        var ordered = results.Select(r => r.AcceptedMs).Order().ToList();
        var pushed = results.Select(r => r.AllPushedMs).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            fan-out to {members:N0} members ({sockets.Count:N0} connected), {posts} posts, {report.Server}
            accepted (every copy on disk)   median {ordered[ordered.Count / 2]} ms   min {ordered[0]} ms   max {ordered[^1]} ms
            pushed to every connected one   median {pushed[pushed.Count / 2]} ms   min {pushed[0]} ms   max {pushed[^1]} ms
            server CPU per post             {report.ServerCpuSecondsPerPost:F2} s;  server RSS {report.ServerRssMiB:F1} MiB
            load average                    {report.LoadAverage}   {report.Machine}
            """));
        if (a.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(report, LoadJson.Default.FanoutReport));
        }
        await stop.CancelAsync();
        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
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
        foreach (var device in devices)
        {
            device.Dispose();
        }
        return results.All(r => r.Pushed == sockets.Count) ? 0 : 1;
    }
}
