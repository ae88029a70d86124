// Load generator for the Parley server: N accounts (one device each, real MLS, real WebSockets via ParleyClient)
// in 1:1 chats or groups of K, each sending M messages with its send time in the text; receivers record
// end-to-end latency in an HdrHistogram. Loopback only.
//
//   dotnet run -c Release --project bench/Parley.Load -- [--server URL] [--devices 20] [--group-size 2]
//       [--messages 100] [--duration 60] [--json]
// Without --server it starts src/Parley.Cli/bin/Release/net10.0/parley.dll serve on a temp data dir.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using HdrHistogram;
using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Load;

int devices = IntArg("--devices", 20);
int groupSize = IntArg("--group-size", 2);
int messages = IntArg("--messages", 100);
int duration = IntArg("--duration", 60);
bool json = args.Contains("--json");
string? serverArg = StringArg("--server");
if (groupSize < 2 || devices < groupSize || devices % groupSize != 0)
{
    Console.Error.WriteLine("--devices must be a multiple of --group-size (at least 2).");
    return 2;
}

string root = Path.Combine(Path.GetTempPath(), "parley-load-" + Guid.NewGuid().ToString("N")[..10]);
Directory.CreateDirectory(root);
await using ServerHost? host = serverArg is null ? await ServerHost.StartAsync(Path.Combine(root, "server")) : null;
Uri server = host?.Address ?? new Uri(serverArg!);
if (!server.IsLoopback)
{
    Console.Error.WriteLine("Loopback servers only.");
    return 2;
}
Console.Error.WriteLine($"Server {server}{(host is null ? "" : " (started here)")}; {devices} devices, groups of {groupSize}, {messages} messages each, at most {duration} s.");

var options = new ParleyClientOptions
{
    KeyDerivation = Environment.GetEnvironmentVariable("PARLEY_INSECURE_FAST_KDF") == "1" ? StoreKeyDerivation.Minimal : StoreKeyDerivation.Default,
    SendDeliveryReceipts = false,
};
string run = Guid.NewGuid().ToString("N")[..6];
var clients = new ParleyClient[devices];
var setup = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, devices), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (i, ct) =>
{
    clients[i] = await ParleyClient.CreateAccountAsync(Path.Combine(root, "d" + i), "load passphrase", server, $"ld{run}-{i}", options, ct);
});
Console.Error.WriteLine($"{devices} accounts in {setup.Elapsed.TotalSeconds:F1} s.");

// Receiving side: every device listens on its WebSocket for the whole run.
var histogram = new LongHistogram(TimeSpan.TicksPerMinute * 10, 3);
var seen = new ConcurrentDictionary<(int Receiver, int Sender, int Seq), byte>();
var joined = new ConcurrentDictionary<int, ConversationId>();
long delivered = 0, duplicated = 0, connected = 0, maxConnected = 0, lastDelivery = 0;
var index = clients.Select((c, i) => (c.Username, i)).ToDictionary(x => x.Username, x => x.i);
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
            lock (histogram)
            {
                histogram.RecordValue(Stopwatch.GetElapsedTime(sentAt, now).Ticks);
            }
        }
    };
    listeners.Add(Task.Run(() => clients[receiver].ListenAsync(stop.Token, up =>
    {
        long n = up ? Interlocked.Increment(ref connected) : Interlocked.Decrement(ref connected);
        long max;
        while (n > (max = Interlocked.Read(ref maxConnected)) && Interlocked.CompareExchange(ref maxConnected, n, max) != max)
        {
        }
    })));
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
    await Task.Delay(50);
}
foreach (var (member, id) in joined)
{
    conversationOf[member] = id;
}
int missingJoins = conversationOf.Count(c => c == default);
Console.Error.WriteLine($"{members.Length} conversations in {setup.Elapsed.TotalSeconds:F1} s{(missingJoins > 0 ? $", {missingJoins} devices never joined" : "")}.");

// Sending: each device sends up to M messages, one after another, until the duration ends.
var accepted = new ConcurrentBag<(int Sender, int Seq)>();
long failed = 0;
using var sampler = host?.SampleMemory();
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
})));
double sendSeconds = Stopwatch.GetElapsedTime(sendStart).TotalSeconds;
long expected = accepted.Sum(_ => (long)(groupSize - 1));
var drain = Stopwatch.StartNew();
while (Interlocked.Read(ref delivered) < expected && drain.Elapsed < TimeSpan.FromSeconds(30))
{
    await Task.Delay(50);
}
double deliverSeconds = Stopwatch.GetElapsedTime(sendStart, Interlocked.Read(ref lastDelivery) is var last && last > sendStart ? last : sendStart).TotalSeconds;
long heldConnections = Interlocked.Read(ref connected);
var memory = sampler?.Stop();

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
    await Task.WhenAll(listeners).WaitAsync(TimeSpan.FromSeconds(10));
}
catch (Exception e) when (e is OperationCanceledException or TimeoutException)
{
    // Stopped.
}
foreach (var client in clients)
{
    client.Dispose();
}

double Ms(double percentile) => histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond;
var report = new LoadReport(
    devices, groupSize, messages, duration, accepted.Count, failed, Interlocked.Read(ref delivered), expected, lost, Interlocked.Read(ref duplicated),
    Math.Round(accepted.Count / sendSeconds, 1), Math.Round(delivered / Math.Max(deliverSeconds, 1e-9), 1), Math.Round(sendSeconds, 2),
    Math.Round(Ms(50), 2), Math.Round(Ms(95), 2), Math.Round(Ms(99), 2),
    Math.Round(histogram.TotalCount == 0 ? 0 : histogram.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond, 2),
    heldConnections, Interlocked.Read(ref maxConnected),
    memory?.WorkingSetMiB, memory?.PeakWorkingSetMiB,
    $"{RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription.Trim()}");

var c = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(c, $"""
    devices {report.Devices}, group size {report.GroupSize}, {report.MessagesPerDevice} msgs/device, limit {report.DurationSeconds} s ({report.Machine})
    accepted        {report.Accepted,10:N0}   ({report.Failed} failed)   {report.AcceptedPerSecond,10:N1} /s over {report.SendSeconds:F2} s
    delivered       {report.Delivered,10:N0}   of {report.ExpectedDeliveries:N0}   {report.DeliveredPerSecond,10:N1} /s
    latency ms      p50 {report.P50Ms:F2}   p95 {report.P95Ms:F2}   p99 {report.P99Ms:F2}   max {report.MaxMs:F2}
    lost            {report.Lost,10:N0}
    duplicated      {report.Duplicated,10:N0}
    connections     {report.ConnectionsHeld,10:N0}   held at end (max {report.MaxConnections})
    server memory   {(report.ServerWorkingSetMiB is null ? "n/a (external server)" : $"{report.ServerWorkingSetMiB:F1} MiB working set, {report.ServerPeakWorkingSetMiB:F1} MiB peak")}
    """));
if (json)
{
    Console.WriteLine(JsonSerializer.Serialize(report, LoadJson.Options));
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

int IntArg(string name, int fallback) => StringArg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
