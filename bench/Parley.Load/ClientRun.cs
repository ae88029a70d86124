// The full-client workload: N accounts, each a real ParleyClient (encrypted SQLite store, real MLS, the delivery
// WebSocket), in 1:1 chats or groups of K; each device sends M messages with its send time in the text, one after
// another, and receivers record end-to-end latency. This is what a user's device does, so the client's own work
// (store transactions, catching up before each send) is part of every number.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Client.Sync;

namespace Parley.Load;

/// <summary>What one full-client run measured.</summary>
internal sealed record LoadReport(
    int Devices, int GroupSize, int MessagesPerDevice, int DurationSeconds, string Server, long Accepted, long Failed, long SentLater, long Delivered,
    long ExpectedDeliveries, long Lost, long Duplicated, double AcceptedPerSecond, double DeliveredPerSecond, double SendSeconds,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, long ConnectionsHeld, long MaxConnections,
    double? ServerRssMiB, double? ServerPeakRssMiB, long HttpRequestsWhileSending, long RateLimitedResponses, string LoadAverage, string Machine);

/// <summary>The "clients" mode.</summary>
internal static class ClientRun
{
    public static async Task<int> RunAsync(LoadArgs a, CancellationToken cancellationToken)
    {
        string loadAtStart = MachineCpu.LoadAverage();
        int devices = a.Int("--devices", 20);
        int groupSize = a.Int("--group-size", 2);
        int messages = a.Int("--messages", 100);
        int duration = a.Int("--duration", 60);
        string? serverArg = a.String("--server");
        if (groupSize < 2 || devices < groupSize || devices % groupSize != 0)
        {
            Console.Error.WriteLine("--devices must be a multiple of --group-size (at least 2).");
            return 2;
        }
        string root = Path.Combine(Path.GetTempPath(), "parley-load-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        await using ParleyCluster? cluster = serverArg is null
            ? await ParleyCluster.StartAsync(Enum.Parse<StorageEngine>(a.String("--engine") ?? "sqlite", ignoreCase: true), a.Int("--nodes", 1), [],
                cancellationToken, liftRateLimits: !a.Flag("--default-limits"))
            : null;
        Func<int, Uri> nodeFor = cluster is null ? _ => new Uri(serverArg!) : cluster.NodeFor;
        if (!nodeFor(0).IsLoopback)
        {
            Console.Error.WriteLine("Loopback servers only.");
            return 2;
        }
        string serverName = cluster?.Description ?? serverArg!;
        Console.Error.WriteLine($"Server {serverName}; {devices} devices, groups of {groupSize}, {messages} messages each, at most {duration} s.");

        using var counter = new RequestCounter();
        var options = new ParleyClientOptions
        {
            HttpHandler = counter,
            KeyDerivation = Environment.GetEnvironmentVariable("PARLEY_INSECURE_FAST_KDF") == "1" ? StoreKeyDerivation.Minimal : StoreKeyDerivation.Default,
            SendDeliveryReceipts = false,
        };
        string run = Guid.NewGuid().ToString("N")[..6];
        var clients = new ParleyClient[devices];
        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (i, ct) =>
        {
            clients[i] = await ParleyClient.CreateAccountAsync(Path.Combine(root, "d" + i), "load passphrase", nodeFor(i), $"ld{run}-{i}", options, ct);
        });
        Console.Error.WriteLine($"{devices} accounts in {setup.Elapsed.TotalSeconds:F1} s.");

        // Receiving side: every device listens on its WebSocket for the whole run.
        var latency = new LatencyRecorder();
        var seen = new ConcurrentDictionary<(int Receiver, int Sender, int Seq), byte>();
        var joined = new ConcurrentDictionary<int, ConversationId>();
        long delivered = 0, duplicated = 0, connected = 0, maxConnected = 0, lastDelivery = 0;
        using var stop = new CancellationTokenSource();
        var listeners = new List<Task>();
        for (int i = 0; i < devices; i++)
        {
            int receiver = i;
            clients[i].EventRaised += e =>
            {
                if (e is ConversationJoined j)
                {
                    joined[receiver] = j.Conversation.Id;
                }
                else if (e is MessageReceived { Message: { IsOutgoing: false, Text: { } text } } && LoadText.TryParse(text, out int sender, out int seq, out long sentAt))
                {
                    long now = Stopwatch.GetTimestamp();
                    if (!seen.TryAdd((receiver, sender, seq), 0))
                    {
                        Interlocked.Increment(ref duplicated);
                        return;
                    }
                    Interlocked.Increment(ref delivered);
                    Interlocked.Exchange(ref lastDelivery, now);
                    latency.Record(sentAt, now);
                }
            };
            listeners.Add(Task.Run(() => clients[receiver].ListenAsync(stop.Token, up =>
            {
                long n = up ? Interlocked.Increment(ref connected) : Interlocked.Decrement(ref connected);
                long max;
                while (n > (max = Interlocked.Read(ref maxConnected)) && Interlocked.CompareExchange(ref maxConnected, n, max) != max)
                {
                }
            }), CancellationToken.None));
        }

        // Conversations: the first device of each group creates it; the others join from the Welcome.
        var members = new int[devices / groupSize][];
        var conversationOf = new ConversationId[devices];
        setup.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, members.Length), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (g, ct) =>
        {
            int[] group = members[g] = [.. Enumerable.Range(g * groupSize, groupSize)];
            ParleyClient creator = clients[group[0]];
            Conversation conversation = groupSize == 2
                ? await creator.OpenDirectAsync(clients[group[1]].Username, ct)
                : await creator.CreateGroupAsync($"load {g}", group.Skip(1).Select(m => clients[m].Username), ct);
            conversationOf[group[0]] = conversation.Id;
        });
        var joinDeadline = Stopwatch.StartNew();
        while (joined.Count < devices - members.Length && joinDeadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, cancellationToken);
        }
        foreach (var (member, id) in joined)
        {
            conversationOf[member] = id;
        }
        int missingJoins = conversationOf.Count(c => c == default);
        Console.Error.WriteLine($"{members.Length} conversations in {setup.Elapsed.TotalSeconds:F1} s{(missingJoins > 0 ? $", {missingJoins} devices never joined" : "")}.");

        // Sending: each device sends up to M messages, one after another, until the duration ends.
        var accepted = new ConcurrentBag<(int Sender, int Seq)>();
        // A message the server did not take yet (unreachable, or a rate-limit pause longer than the client waits in
        // place) stays in the device's outbox and goes out later; it is followed until then, not counted as failed.
        var queued = new ConcurrentBag<(int Sender, int Seq, string MessageId)>();
        long failed = 0;
        long peakRss = 0;
        var serverPids = cluster?.Pids.ToList() ?? [];
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            while (await timer.WaitForNextTickAsync(sampling.Token))
            {
                peakRss = Math.Max(peakRss, ProcessStats.Of(serverPids).RssBytes);
            }
        }, CancellationToken.None);
        long requestsBefore = counter.Requests;
        long sendStart = Stopwatch.GetTimestamp();
        var deadline = TimeSpan.FromSeconds(duration);
        await Task.WhenAll(Enumerable.Range(0, devices).Where(i => conversationOf[i] != default).Select(i => Task.Run(async () =>
        {
            for (int seq = 0; seq < messages && Stopwatch.GetElapsedTime(sendStart) < deadline; seq++)
            {
                try
                {
                    StoredMessage sent = await clients[i].SendTextAsync(conversationOf[i], LoadText.Format(i, seq, Stopwatch.GetTimestamp()));
                    if (sent.State.Status == DeliveryStatus.Sent)
                    {
                        accepted.Add((i, seq));
                    }
                    else if (sent.State.Status == DeliveryStatus.Pending)
                    {
                        queued.Add((i, seq, sent.MessageId));
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (Exception e) when (e is ParleyClientException or HttpRequestException or Parley.Client.Network.ServerProblemException
                                              or Parley.Client.Network.ServerUnavailableException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }, CancellationToken.None)));
        double sendSeconds = Stopwatch.GetElapsedTime(sendStart).TotalSeconds;
        long sendRequests = counter.Requests - requestsBefore;
        long expected = (accepted.Count + queued.Count) * (long)(groupSize - 1);
        var drain = Stopwatch.StartNew();
        // Queued messages wait for a listening client's housekeeping (every 15 s) and for the rate-limit window to end (1 min).
        var drainLimit = TimeSpan.FromSeconds(queued.IsEmpty ? 30 : 90);
        while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < drainLimit)
        {
            await Task.Delay(50, cancellationToken);
        }
        long acceptedWhileSending = accepted.Count;
        long sentLater = 0;
        foreach (var group in queued.GroupBy(q => q.Sender))
        {
            var sentIds = clients[group.Key].History(conversationOf[group.Key], messages * groupSize + 100)
                .Where(m => m.IsOutgoing && m.State.Status == DeliveryStatus.Sent).Select(m => m.MessageId).ToHashSet();
            foreach (var (sender, seq, messageId) in group)
            {
                if (sentIds.Contains(messageId))
                {
                    accepted.Add((sender, seq));
                    sentLater++;
                }
                else
                {
                    failed++;
                }
            }
        }
        expected = accepted.Sum(_ => (long)(groupSize - 1));
        double deliverSeconds = Stopwatch.GetElapsedTime(sendStart, Interlocked.Read(ref lastDelivery) is var last && last > sendStart ? last : sendStart).TotalSeconds;
        long heldConnections = Interlocked.Read(ref connected);
        await sampling.CancelAsync();
        try
        {
            await sampler;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        var memory = ProcessStats.Of(serverPids);

        long lost = 0;
        foreach (var (sender, seq) in accepted)
        {
            foreach (int receiver in members[sender / groupSize])
            {
                if (receiver != sender && !seen.ContainsKey((receiver, sender, seq)))
                {
                    lost++;
                }
            }
        }

        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(listeners).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Stopped.
        }
        foreach (var client in clients)
        {
            client.Dispose();
        }

        var report = new LoadReport(
            devices, groupSize, messages, duration, serverName, accepted.Count, failed, sentLater, Interlocked.Read(ref delivered), expected, lost,
            Interlocked.Read(ref duplicated), Math.Round(acceptedWhileSending / sendSeconds, 1), Math.Round(delivered / Math.Max(deliverSeconds, 1e-9), 1),
            Math.Round(sendSeconds, 2), Math.Round(latency.Ms(50), 2), Math.Round(latency.Ms(95), 2), Math.Round(latency.Ms(99), 2),
            Math.Round(latency.MaxMs, 2), heldConnections, Interlocked.Read(ref maxConnected),
            cluster is null ? null : Math.Round(memory.RssMiB, 1), cluster is null ? null : Math.Round(peakRss / 1048576.0, 1),
            sendRequests, counter.RateLimited, loadAtStart + "→" + MachineCpu.LoadAverage(), Machine.Describe());

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"""
            devices {report.Devices}, group size {report.GroupSize}, {report.MessagesPerDevice} msgs/device, limit {report.DurationSeconds} s, {report.Server}
            accepted        {report.Accepted,10:N0}   ({report.Failed} failed, {report.SentLater} sent later from the outbox)   {report.AcceptedPerSecond,10:N1} /s over {report.SendSeconds:F2} s
            delivered       {report.Delivered,10:N0}   of {report.ExpectedDeliveries:N0}   {report.DeliveredPerSecond,10:N1} /s
            latency ms      p50 {report.P50Ms:F2}   p95 {report.P95Ms:F2}   p99 {report.P99Ms:F2}   max {report.MaxMs:F2}
            lost            {report.Lost,10:N0}
            duplicated      {report.Duplicated,10:N0}
            connections     {report.ConnectionsHeld,10:N0}   held at end (max {report.MaxConnections})
            server memory   {(report.ServerRssMiB is null ? "n/a (external server)" : $"{report.ServerRssMiB:F1} MiB RSS, {report.ServerPeakRssMiB:F1} MiB peak")}
            http requests   {report.HttpRequestsWhileSending,10:N0}   while sending ({(report.Accepted == 0 ? 0 : (double)report.HttpRequestsWhileSending / report.Accepted):F2} per accepted message); {report.RateLimitedResponses} answered 429 in the whole run
            load average    {report.LoadAverage} (1 min, at the end)   {report.Machine}
            """));
        if (a.Flag("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(report, LoadJson.Default.LoadReport));
        }
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
        return report.Lost == 0 && report.Duplicated == 0 ? 0 : 1;
    }
}

/// <summary>The machine the numbers come from.</summary>
internal static class Machine
{
    public static string Describe()
    {
        string cpu = "?";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        }
        catch (IOException)
        {
            // Not Linux.
        }
        double ram = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0;
        return string.Create(CultureInfo.InvariantCulture,
            $"{cpu}, {Environment.ProcessorCount} CPUs, {ram:F1} GiB, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription.Trim()}");
    }
}
