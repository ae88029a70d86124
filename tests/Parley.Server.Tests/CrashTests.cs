using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Parley.Server.Delivery;
using Parley.Server.Mailboxes;
using Xunit.Abstractions;

namespace Parley.Server.Tests;

[Collection(AloneCollection.Name)]
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Members = 4;
    private const int MessagesPerSender = 1000;
    private const int WorkersPerSender = 8;
    private const int KillAfterAccepted = 1200;

    private static readonly string[] Generous =
    [
        "--Parley:RequestsPerMinute", "1000000", "--Parley:RequestsPerMinutePerAccount", "1000000",
        "--Parley:RequestsPerMinutePerAddress", "1000000", "--Parley:AnonymousRequestsPerMinute", "1000000",
    ];

    private readonly string _data = Path.Combine(Path.GetTempPath(), "parley-server-tests", "crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => ServerFactory.DeleteQuietly(_data);

    [Fact]
    public async Task After_a_SIGKILL_mid_run_and_a_restart_every_accepted_message_is_delivered_exactly_once_and_nothing_else()
    {
        var clock = Stopwatch.StartNew();
        RealServerProcess server = await RealServerProcess.StartAsync(_data, Generous);
        var members = new List<TestDevice>();
        TestGroup group;
        try
        {
            for (int i = 0; i < Members; i++)
            {
                TestUser user = await TestUser.RegisterAsync(server);
                await user.Device.UploadKeyPackagesAsync(1);
                members.Add(user.Device);
            }
            group = await TestGroup.CreateAsync(members[0]);
            foreach (TestDevice joiner in members.Skip(1))
            {
                await group.AddAsync(members[0], joiner.User);
            }
            foreach (TestDevice member in members)
            {
                await DrainAsync(member.Client, acknowledge: true);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        // Every sender's messages, fixed up front so a retry sends the same id and the same bytes.
        var messages = new Dictionary<string, (int Sender, byte[] Bytes)>();
        var queues = new ConcurrentQueue<string>[Members];
        for (int s = 0; s < Members; s++)
        {
            queues[s] = new ConcurrentQueue<string>();
            for (int i = 0; i < MessagesPerSender; i++)
            {
                string id = $"m{s}-{i}";
                messages[id] = (s, TestMls.Application(group.Id, group.Epoch));
                queues[s].Enqueue(id);
            }
        }
        var accepted = new ConcurrentDictionary<string, bool>();
        var unconfirmed = new ConcurrentQueue<string>[Members];
        for (int s = 0; s < Members; s++)
        {
            unconfirmed[s] = new ConcurrentQueue<string>();
        }

        // Phase 1: everyone sends; the server is killed with SIGKILL once enough were accepted.
        Task sending = RunSendersAsync(server, members, group, queues, messages, accepted, unconfirmed, stopOnFailure: true);
        while (accepted.Count < KillAfterAccepted && !sending.IsCompleted)
        {
            await Task.Delay(1);
        }
        await server.KillAsync();
        await sending;
        await server.DisposeAsync();
        int acceptedBeforeKill = accepted.Count;
        int inDoubt = unconfirmed.Sum(q => q.Count);
        int neverSent = queues.Sum(q => q.Count);
        output.WriteLine($"Killed after {clock.Elapsed.TotalSeconds:F1} s: {acceptedBeforeKill} accepted, {inDoubt} in doubt, {neverSent} not sent yet.");
        Assert.InRange(acceptedBeforeKill, KillAfterAccepted, Members * MessagesPerSender - 1);

        // Phase 2: the restarted server takes the retries (same ids) and the rest. Every sender also
        // resends its first 25 accepted messages, as a client would that crashed before noting the
        // answer: those must be recognised as repeats across the crash, not stored again.
        await using RealServerProcess restarted = await RealServerProcess.StartAsync(_data, Generous);
        var acceptedBeforeRestart = new HashSet<string>(accepted.Keys);
        var resent = new HashSet<string>();
        var repeated = new ConcurrentBag<string>();
        for (int s = 0; s < Members; s++)
        {
            foreach (string id in queues[s])
            {
                unconfirmed[s].Enqueue(id);
            }
            foreach (string id in acceptedBeforeRestart.Where(id => messages[id].Sender == s).Order(StringComparer.Ordinal).Take(25))
            {
                resent.Add(id);
                unconfirmed[s].Enqueue(id);
            }
        }
        await RunSendersAsync(restarted, members, group, unconfirmed, messages, accepted, null, stopOnFailure: false, repeated);
        Assert.Equal(messages.Count, accepted.Count);
        Assert.Subset(repeated.ToHashSet(), resent);
        int inDoubtStored = repeated.Count(id => !resent.Contains(id));
        Assert.All(repeated.Where(id => !resent.Contains(id)), id => Assert.DoesNotContain(id, acceptedBeforeRestart));
        output.WriteLine($"After the restart: {inDoubtStored} of the {inDoubt} in doubt had been stored before the kill; "
                         + $"{resent.Count} accepted ones resent were all repeats.");

        // Phase 3: each device's mailbox holds every other member's messages exactly once, unchanged.
        for (int m = 0; m < Members; m++)
        {
            using HttpClient client = restarted.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", members[m].Credential);
            List<MailboxEntry> mail = await DrainAsync(client, acknowledge: false);
            var ids = mail.Select(e => e.Id).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            var expected = messages.Where(p => p.Value.Sender != m).Select(p => p.Key).ToHashSet();
            Assert.True(expected.SetEquals(ids), $"Member {m}: {expected.Except(ids).Count()} missing, {ids.Except(expected).Count()} unexpected.");
            Assert.All(mail, e => Assert.Equal(messages[e.Id].Bytes, e.Message));
        }
        Assert.All(members, m => Assert.DoesNotContain(m.Credential.Split('.')[1], restarted.Output, StringComparison.Ordinal));
        output.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");
    }

    /// <summary>Each sender runs workers that take ids from its queue and send them. A 200 marks the id
    /// accepted; a broken connection or a 5xx leaves it in doubt (in <paramref name="inDoubt"/>) and,
    /// with <paramref name="stopOnFailure"/>, stops the worker. Any 4xx fails the test.</summary>
    private static async Task RunSendersAsync(RealServerProcess server, List<TestDevice> members, TestGroup group,
        ConcurrentQueue<string>[] queues, Dictionary<string, (int Sender, byte[] Bytes)> messages, ConcurrentDictionary<string, bool> accepted,
        ConcurrentQueue<string>[]? inDoubt, bool stopOnFailure, ConcurrentBag<string>? repeated = null)
    {
        var workers = new List<Task>();
        var clients = new List<HttpClient>();
        for (int s = 0; s < members.Count; s++)
        {
            HttpClient client = server.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", members[s].Credential);
            clients.Add(client);
            int sender = s;
            for (int w = 0; w < WorkersPerSender; w++)
            {
                workers.Add(Task.Run(async () =>
                {
                    while (queues[sender].TryDequeue(out string? id))
                    {
                        HttpResponseMessage? response = null;
                        try
                        {
                            response = await client.PostAsJsonAsync($"/v1/groups/{group.IdText}/messages",
                                new { id, message = messages[id].Bytes });
                        }
                        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                        {
                        }
                        using (response)
                        {
                            if (response?.StatusCode == HttpStatusCode.OK)
                            {
                                var sent = (await response.Content.ReadFromJsonAsync<SendResponse>(TestHttp.Json))!;
                                if (sent.Repeated)
                                {
                                    repeated?.Add(id);
                                }
                                accepted[id] = true;
                                continue;
                            }
                            if (response is not null && (int)response.StatusCode < 500)
                            {
                                Assert.Fail($"Sending {id} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                            }
                        }
                        if (!stopOnFailure || inDoubt is null)
                        {
                            Assert.Fail($"Sending {id} failed against a running server.");
                        }
                        inDoubt[sender].Enqueue(id);
                        return;
                    }
                }));
            }
        }
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Reads the whole mailbox page by page (and acknowledges it when asked).</summary>
    private static async Task<List<MailboxEntry>> DrainAsync(HttpClient client, bool acknowledge)
    {
        var all = new List<MailboxEntry>();
        long after = 0;
        while (true)
        {
            var page = (await client.GetFromJsonAsync<MailboxResponse>($"/v1/mailbox?after={after}&limit=500", TestHttp.Json))!.Messages;
            if (page.Count == 0)
            {
                break;
            }
            all.AddRange(page);
            after = page[^1].Sequence;
        }
        if (acknowledge)
        {
            foreach (MailboxEntry entry in all)
            {
                using var response = await client.DeleteAsync($"/v1/mailbox/{entry.Id}");
                await TestHttp.EnsureAsync(response);
            }
        }
        return all;
    }
}
