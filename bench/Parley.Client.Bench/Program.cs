// Stopwatch harness for the client's local store: how fast a device with a long history is ready to send,
// how long the background search index takes, and how fast search, paging and expiry are.
//
//   dotnet run -c Release --project bench/Parley.Client.Bench -- [--messages 100000] [--conversations 50] [--runs 5] [--dir PATH]
//   ... -- --backup [--runs 3]     only the encrypted backup (docs/backup.md): create, check, restore into a new store
//   ... -- --link-history URL [--runs 3]   a linked device's history (docs/device-linking.md) through the server at URL:
//                                  approve (pack + upload), link, receive (download + delete + check + import)
using Parley.Content;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using NSec.Cryptography;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;

int messages = IntArg("--messages", 100_000);
int conversations = IntArg("--conversations", 50);
int runs = IntArg("--runs", 5);
string directory = StringArg("--dir") ?? Path.Combine(Path.GetTempPath(), $"parley-client-bench-{messages}-{conversations}");
string database = Path.Combine(directory, "parley.db");
const string Passphrase = "benchmark passphrase";
Console.WriteLine($"Load average before: {LoadAverage()}");
if (StringArg("--link-history") is { } historyServer)
{
    await LinkHistoryRuns(new Uri(historyServer), messages, conversations, runs);
    return;
}
var kdf = StoreKeyDerivation.Default;

Console.WriteLine($"Parley.Client store benchmark: {messages:N0} messages in {conversations} conversations, Argon2id {kdf.MemoryKiB / 1024} MiB x {kdf.Passes} passes");
Console.WriteLine($"Machine: {Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.FrameworkDescription}, {CpuModel()}");
Console.WriteLine();

if (!File.Exists(database))
{
    var generation = Stopwatch.StartNew();
    Generate(database, messages, conversations);
    Console.WriteLine($"Generated the store in {generation.Elapsed.TotalSeconds:F1} s ({new FileInfo(database).Length / 1024.0 / 1024.0:F1} MiB on disk)");
}
else
{
    Console.WriteLine($"Reusing {database} ({new FileInfo(database).Length / 1024.0 / 1024.0:F1} MiB)");
}
Console.WriteLine();

if (args.Contains("--backup"))
{
    BackupRuns(database, runs);
    return;
}

// Argon2id alone, to separate the deliberate cost of the passphrase from the rest of opening.
var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = kdf.MemoryKiB, NumberOfPasses = kdf.Passes });
var kdfTimes = Measure(runs, () => argon.DeriveBytes("benchmark passphrase"u8, new byte[16], 32));

// A copy whose key is wrapped with the smallest Argon2id setting: what opening costs besides the passphrase.
string minimalCopy = Path.Combine(directory, "minimal-kdf.db");
if (!File.Exists(minimalCopy))
{
    File.Copy(database, minimalCopy);
    using var copy = ClientStore.Open(minimalCopy, Passphrase);
    copy.ChangePassphrase(Passphrase, StoreKeyDerivation.Minimal);
}

var (openTimes, readyTimes, indexTimes) = OpenRuns(database, runs);
var (openFast, readyFast, indexFast) = OpenRuns(minimalCopy, runs);

using var warm = ClientStore.Open(database, Passphrase);
warm.IndexReady.GetAwaiter().GetResult();
var first = warm.Conversations[0];
string[] queries = ["lighthouse", "meet tomorrow", "pizz", "the", "zebra quokka"];
var searchTimes = new Dictionary<string, (List<double> Times, int Hits)>();
foreach (string query in queries)
{
    int hits = 0;
    var times = Measure(200, () => hits = warm.SearchAsync(query, limit: 50).GetAwaiter().GetResult().Count);
    searchTimes[query] = (times, hits);
}
var scopedSearch = Measure(200, () => warm.SearchAsync("the", first.Id, 50).GetAwaiter().GetResult());
var pageTimes = Measure(200, () => warm.GetMessages(first.Id, limit: 50));
var expiryTimes = Measure(20, () => warm.ExpireMessagesAsync().GetAwaiter().GetResult());
long workingSet = Environment.WorkingSet;

Console.WriteLine("| What | Median | Min | Max |");
Console.WriteLine("|---|---|---|---|");
Row("Argon2id alone (64 MiB, 3 passes)", kdfTimes);
Row("Open (Argon2id + identity + conversations)", openTimes);
Row("Ready to send (open + restore group + encrypt + commit)", readyTimes);
Row("Search index built (from open)", indexTimes);
Row("Open, key wrapped with Argon2id at its minimum (8 KiB, 1 pass)", openFast);
Row("Ready to send, same", readyFast);
Row("Search index built, same", indexFast);
foreach (var (query, (times, hits)) in searchTimes)
{
    Row($"Search \"{query}\" ({hits} hits, limit 50)", times);
}
Row("Search \"the\" in one conversation", scopedSearch);
Row("Page of 50 newest messages", pageTimes);
Row("ExpireMessages (nothing due)", expiryTimes);
Console.WriteLine();
Console.WriteLine($"Working set after indexing: {workingSet / 1024.0 / 1024.0:F0} MiB; {warm.CountMessages():N0} messages; load average {LoadAverage()}.");
return;

// Cold opens of the store: open (Argon2id, identity, conversations), then ready to send (restore one group,
// encrypt one message, commit it with the group state and an outbox entry), then the background index.
static (List<double> Open, List<double> Ready, List<double> Index) OpenRuns(string path, int runs)
{
    var open = new List<double>();
    var ready = new List<double>();
    var index = new List<double>();
    for (int run = 0; run < runs; run++)
    {
        var clock = Stopwatch.StartNew();
        using var store = ClientStore.Open(path, Passphrase);
        open.Add(clock.Elapsed.TotalMilliseconds);
        var conversation = store.Conversations[0];
        using (var group = store.LoadGroup(conversation.Id))
        {
            var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent("ready"));
            byte[] bytes = envelope.Encode();
            byte[] wire = group.EncryptApplicationMessage(bytes).ToBytes();
            using var transaction = store.BeginTransaction();
            var outcome = transaction.ApplyEnvelope(conversation.Id, envelope, bytes, store.Identity!.DeviceId, store.Identity.AccountName, true,
                DeliveryStatus.Pending);
            transaction.SaveGroupState(conversation.Id, group);
            transaction.AddToOutbox(conversation.Id, envelope.MessageId, OutboxKind.Application, wire, localMessage: outcome.Message!.LocalId);
            transaction.Commit();
        }
        ready.Add(clock.Elapsed.TotalMilliseconds);
        store.IndexReady.GetAwaiter().GetResult();
        index.Add(clock.Elapsed.TotalMilliseconds);

        // Leave the store as it was.
        using var cleanup = store.BeginTransaction();
        foreach (var item in store.GetOutbox())
        {
            cleanup.RemoveFromOutbox(item.Id);
            if (item.LocalMessage is { } local)
            {
                cleanup.DeleteMessage(local);
            }
        }
        cleanup.Commit();
    }
    return (open, ready, index);
}

// Backup of the whole store with a backup key, the whole-file check a restore starts with, and the import into a new
// store (a restore's work besides registering the device with the server, a few milliseconds on loopback).
void BackupRuns(string database, int runs)
{
    string directory = Path.GetDirectoryName(database)!;
    string file = Path.Combine(directory, "bench.parley-backup");
    using var key = Parley.Client.Backup.BackupKey.Generate();
    var secret = Parley.Client.Backup.BackupSecret.FromKey(key);
    using var store = ClientStore.Open(database, Passphrase);
    long messages = store.CountMessages();
    var create = Measure(runs, () => Parley.Client.Backup.BackupFile.WriteAtomically(file, output =>
    {
        using var writer = Parley.Client.Backup.BackupWriter.Create(output, secret);
        Parley.Client.Backup.BackupContents.Write(store, writer, null, default);
        writer.Complete();
        return 0;
    }));
    var check = Measure(runs, () => Parley.Client.ParleyClient.VerifyBackup(file, secret));
    var suite = CipherSuite.Get(1);
    var signature = suite.GenerateSignatureKeyPair();
    var import = new List<double>();
    for (int run = 0; run <= runs; run++)
    {
        string target = Path.Combine(directory, $"restored-{run}.db");
        foreach (string leftover in Directory.GetFiles(directory, $"restored-{run}.db*"))
        {
            File.Delete(leftover);
        }
        using var restored = ClientStore.Create(target, Passphrase, new ClientStoreOptions { KeyDerivation = StoreKeyDerivation.Minimal });
        long start = Stopwatch.GetTimestamp();
        Parley.Client.Backup.BackupImport.Apply(restored, file, secret,
            groupId => MlsGroup.Create(suite, groupId, Credential.Basic("restored"u8.ToArray()), signature), null, default);
        if (run > 0)
        {
            import.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        if (restored.CountMessages() != messages)
        {
            throw new InvalidOperationException($"The restored store holds {restored.CountMessages()} messages, not {messages}.");
        }
    }
    var restore = check.Zip(import, (a, b) => a + b).ToList();
    Console.WriteLine($"Backup of {messages:N0} messages: {new FileInfo(file).Length / 1024.0 / 1024.0:F1} MiB file");
    Console.WriteLine("| What | Median | Min | Max |");
    Console.WriteLine("|---|---|---|---|");
    Row("Backup create (read store, encrypt, write atomically)", create);
    Row("Restore: check the whole file", check);
    Row("Restore: import into a new store (one transaction)", import);
    Row("Restore: check + import", restore);
    Console.WriteLine($"Load average after: {LoadAverage()}");
}

// A real account on a real server whose device holds the generated history, approving one new device after another:
// approve (write the bundle, encrypt, upload), link (register the new device, publish key packages), receive (download,
// delete from the server, check every chunk and record, import in one transaction).
async Task LinkHistoryRuns(Uri server, int count, int conversationCount, int runs)
{
    string root = Path.Combine(Path.GetTempPath(), $"parley-link-history-bench-{Guid.NewGuid():N}");
    var options = new Parley.Client.ParleyClientOptions { KeyDerivation = StoreKeyDerivation.Minimal };
    string account = "bench" + Guid.NewGuid().ToString("N")[..8];
    try
    {
        using var approver = await Parley.Client.ParleyClient.CreateAccountAsync(Path.Combine(root, "approver"), Passphrase, server, account, options);
        var generation = Stopwatch.StartNew();
        Populate(approver.Store, approver.DeviceId, account, count, conversationCount);
        Console.WriteLine($"Gave {account}'s device {approver.Store.CountMessages():N0} messages in {conversationCount} conversations in {generation.Elapsed.TotalSeconds:F1} s");
        var approve = new List<double>();
        var link = new List<double>();
        var receive = new List<double>();
        long bytes = 0;
        for (int run = 0; run <= runs; run++)
        {
            using var request = Parley.Client.ParleyClient.BeginLink();
            long start = Stopwatch.GetTimestamp();
            long size = 0;
            string approval = await approver.ApproveDeviceAsync(request.Code, true, new Sync<Parley.Client.HistoryProgress>(p =>
            {
                if (p.Stage == Parley.Client.HistoryStage.Uploading)
                {
                    size = p.Total;
                }
            }));
            double approved = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            using var tablet = await Parley.Client.ParleyClient.CompleteLinkAsync(Path.Combine(root, $"tablet-{run}"), Passphrase, request, approval, options);
            double linked = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var history = await tablet.ReceiveLinkHistoryAsync();
            double received = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (history is null || tablet.Store.CountMessages() != approver.Store.CountMessages())
            {
                throw new InvalidOperationException($"The new device holds {tablet.Store.CountMessages()} messages, not {approver.Store.CountMessages()}.");
            }
            // The first run warms up (JIT, the server's first blob).
            if (run > 0)
            {
                approve.Add(approved);
                link.Add(linked - approved);
                receive.Add(received - linked);
                bytes = size;
            }
        }
        var total = approve.Select((a, i) => a + link[i] + receive[i]).ToList();
        Console.WriteLine($"History bundle: {bytes / 1024.0 / 1024.0:F1} MiB; server {server}");
        Console.WriteLine("| What | Median | Min | Max |");
        Console.WriteLine("|---|---|---|---|");
        Row("Approve: pack + encrypt + upload", approve);
        Row("Link: register the new device + key packages", link);
        Row("Receive: download + delete + check + import", receive);
        Row("Whole transfer (approve + link + receive)", total);
        Console.WriteLine($"Load average after: {LoadAverage()}");
    }
    finally
    {
        Directory.Delete(root, recursive: true);
    }
}

static string LoadAverage()
{
    try
    {
        return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "unknown";
    }
}

void Row(string what, List<double> times)
{
    times.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {Ms(times[times.Count / 2])} | {Ms(times[0])} | {Ms(times[^1])} |"));
}

static string Ms(double ms) => ms >= 10 ? ms.ToString("F0", CultureInfo.InvariantCulture) + " ms" : ms.ToString("F2", CultureInfo.InvariantCulture) + " ms";

static List<double> Measure(int count, Action action)
{
    action();
    var times = new List<double>(count);
    for (int i = 0; i < count; i++)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    return times;
}

int IntArg(string name, int fallback) => StringArg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? StringArg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string CpuModel()
{
    try
    {
        return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
    }
    catch (IOException)
    {
        return "unknown CPU";
    }
}

static void Generate(string database, int messages, int conversations)
{
    var suite = CipherSuite.Get(1);
    var time = TimeProvider.System;
    using var store = ClientStore.Create(database, Passphrase, new ClientStoreOptions { KeyDerivation = StoreKeyDerivation.Default });
    var identity = DeviceIdentity.Create("alice", new Uri("https://parley.example"), time, 1, AccountIdentityKey.Generate());
    string self = identity.DeviceId;
    var signature = identity.SignatureKey;
    var ids = new List<ConversationId>();
    using (var transaction = store.BeginTransaction())
    {
        transaction.SaveIdentity(identity);
        for (int c = 0; c < conversations; c++)
        {
            // A real two-member group per conversation, so the stored states have a realistic size.
            using var group = MlsGroup.Create(suite, RandomNumberGenerator.GetBytes(16), Credential.Basic(System.Text.Encoding.ASCII.GetBytes(self)), signature);
            using var peer = KeyPackageBundle.Create(suite, Credential.Basic("peer"u8.ToArray()), suite.GenerateSignatureKeyPair(), new Lifetime(0, ulong.MaxValue));
            group.Commit(new CommitOptions { Proposals = [new Add(peer.KeyPackage)] });
            group.MergePendingCommit();
            var conversation = new Conversation(ConversationId.New(), c % 3 == 0 ? ConversationKind.Group : ConversationKind.Direct, $"Conversation {c}",
                group.GroupId, c % 10 == 0 ? TimeSpan.FromDays(30) : null, [new ConversationMember("alice", [self]), new ConversationMember($"peer{c}", ["peer"])],
                time.GetUtcNow(), time.GetUtcNow(), 0);
            transaction.SaveConversation(conversation);
            transaction.SaveGroupState(conversation.Id, group);
            ids.Add(conversation.Id);
        }
        transaction.Commit();
    }
    PopulateMessages(store, self, "alice", messages, ids);
}

// Conversations of a registered device (one-member groups: they stand for conversations, nothing is sent in them) and
// generated texts spread over them.
static void Populate(ClientStore store, string self, string account, int messages, int conversations)
{
    var suite = CipherSuite.Get(1);
    var time = TimeProvider.System;
    var ids = new List<ConversationId>();
    using (var transaction = store.BeginTransaction())
    {
        for (int c = 0; c < conversations; c++)
        {
            using var group = MlsGroup.Create(suite, RandomNumberGenerator.GetBytes(16), Credential.Basic(System.Text.Encoding.ASCII.GetBytes(self)),
                suite.GenerateSignatureKeyPair());
            var conversation = new Conversation(ConversationId.New(), c % 3 == 0 ? ConversationKind.Group : ConversationKind.Direct, $"Conversation {c}",
                group.GroupId, null, [new ConversationMember(account, [self]), new ConversationMember($"peer{c}", ["peer"])],
                time.GetUtcNow(), time.GetUtcNow(), 0);
            transaction.SaveConversation(conversation);
            transaction.SaveGroupState(conversation.Id, group);
            ids.Add(conversation.Id);
        }
        transaction.Commit();
    }
    PopulateMessages(store, self, account, messages, ids);
}

static void PopulateMessages(ClientStore store, string self, string account, int messages, List<ConversationId> ids)
{
    string[] words = ["the", "meet", "tomorrow", "lighthouse", "pizza", "coffee", "train", "late", "photo", "weekend", "report", "budget",
        "birthday", "concert", "tickets", "garden", "rain", "sunny", "call", "later", "thanks", "great", "idea", "project", "deadline",
        "museum", "dinner", "recipe", "bike", "ferry", "island", "morning", "evening", "quick", "question", "answer", "draft", "review"];
    var time = TimeProvider.System;
    var random = new Random(42);
    const int Batch = 2000;
    for (int done = 0; done < messages; done += Batch)
    {
        using var transaction = store.BeginTransaction();
        for (int i = done; i < Math.Min(messages, done + Batch); i++)
        {
            int length = 3 + random.Next(25);
            string text = string.Join(' ', Enumerable.Range(0, length).Select(_ => words[random.Next(words.Length)]));
            var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), time.GetUtcNow(), new TextContent(text));
            bool outgoing = random.Next(2) == 0;
            transaction.ApplyEnvelope(ids[random.Next(ids.Count)], envelope, envelope.Encode(), outgoing ? self : "peer", outgoing ? account : "peer",
                outgoing, outgoing ? DeliveryStatus.Sent : DeliveryStatus.Received);
        }
        transaction.Commit();
    }
}

/// <summary>Reports on the reporting thread.</summary>
sealed class Sync<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
