using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Parley.Mls.Messages;
using Parley.Server.Groups;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>Three real server processes on three ports sharing one PostgreSQL database and one Redis:
/// the members of one conversation spread over them, sending, racing commits, and living through
/// the death of a node.</summary>
public sealed class MultiNodeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int MessagesPerMember = 40;

    [Fact]
    public async Task Three_nodes_sharing_postgres_and_redis_deliver_every_accepted_message_once_through_commit_races_and_a_killed_node()
    {
        await using TestDatabase database = await ExternalServices.CreateDatabaseAsync();
        string redis = await ExternalServices.RedisAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ServerNode[] nodes = await Task.WhenAll(Enumerable.Range(0, 3)
            .Select(i => ServerNode.StartAsync($"node{i}", database.ConnectionString, redis)));
        var devices = new List<NodeDevice>();
        output.WriteLine($"{clock.Elapsed}: three nodes up at {string.Join(", ", nodes.Select(n => n.Address))}");
        try
        {
            // Registration on one node with a challenge issued by another: challenges live in the database.
            string suffix = Guid.NewGuid().ToString("N")[..8];
            NodeDevice alice = await NodeDevice.RegisterAsync("alice" + suffix, nodes, 0, nodes[1]);
            NodeDevice bob = await NodeDevice.RegisterAsync("bob" + suffix, nodes, 1, nodes[2]);
            NodeDevice carol = await NodeDevice.RegisterAsync("carol" + suffix, nodes, 2, nodes[0]);
            NodeDevice dave = await NodeDevice.RegisterAsync("dave" + suffix, nodes, 1, nodes[0]);
            devices.AddRange([alice, bob, carol, dave]);
            foreach (NodeDevice joiner in new[] { bob, carol, dave })
            {
                await joiner.UploadKeyPackagesAsync(2);
            }
            foreach (NodeDevice device in devices)
            {
                device.StartReceiving();
            }

            // Alice (node0) creates the conversation and adds the others, who are connected to node1 and node2.
            byte[] groupBytes = TestMls.NewGroupId();
            string group = GroupId.FromBytes(groupBytes).Value;
            GroupSigner signer = await alice.CreateGroupAsync(group);
            var packages = new List<KeyPackage>();
            foreach (NodeDevice joiner in new[] { bob, carol, dave })
            {
                packages.Add(TestMls.DecodeKeyPackage(Assert.Single(await alice.ClaimAsync(joiner.Username)).KeyPackage));
            }
            var (added, _) = await alice.PostMessageAsync(group, "add",
                TestMls.Commit(groupBytes, 0, 0, packages.Select(p => (Proposal)new Add(p)).ToArray()), TestMls.Welcome([.. packages]), signer);
            Assert.Equal(HttpStatusCode.OK, added);
            (NodeDevice Device, uint Leaf)[] members = [(alice, 0), (bob, 1), (carol, 2), (dave, 3)];
            var accepted = new ConcurrentQueue<(string Sender, string Id)>();
            accepted.Enqueue((alice.Id, "add"));

            // Everyone sends through their own node while commits race; node2 dies half way.
            int sent = 0;
            var latencies = new ConcurrentQueue<double>();
            var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task messaging = Task.WhenAll(members.Select(m => Task.Run(async () =>
            {
                for (int i = 0; i < MessagesPerMember; i++)
                {
                    string id = $"{m.Device.Username}-{i}";
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    var (status, body) = await m.Device.PostMessageAsync(group, id, TestMls.Application(groupBytes, 1));
                    latencies.Enqueue(watch.Elapsed.TotalMilliseconds);
                    Assert.True(status == HttpStatusCode.OK, $"{id}: {(int)status} {body}");
                    accepted.Enqueue((m.Device.Id, id));
                    if (Interlocked.Increment(ref sent) == members.Length * MessagesPerMember / 2)
                    {
                        halfway.TrySetResult();
                    }
                    await Task.Delay(20);
                }
            })));

            foreach (var winner in await RaceCommitsAsync(group, groupBytes, signer, (bob, 1), (carol, 2), rounds: 3))
            {
                accepted.Enqueue(winner);
            }
            await halfway.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await nodes[2].KillAsync();
            output.WriteLine($"{clock.Elapsed}: node2 killed after {Volatile.Read(ref sent)} of {members.Length * MessagesPerMember} messages");
            foreach (var winner in await RaceCommitsAsync(group, groupBytes, signer, (alice, 0), (bob, 1), rounds: 3))
            {
                accepted.Enqueue(winner);
            }
            await messaging.WaitAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"{clock.Elapsed}: {accepted.Count} messages and commits accepted; send latency median "
                + $"{latencies.Order().ElementAt(latencies.Count / 2):F1} ms, max {latencies.Max():F1} ms");

            // Every accepted message reaches every other member; only carol, whose node died, may see
            // again a message whose acknowledgement died with the node.
            var expected = devices.ToDictionary(d => d.Id, d => accepted.Where(a => a.Sender != d.Id).Select(a => a.Id).ToHashSet());
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            foreach (NodeDevice device in devices)
            {
                while (!expected[device.Id].IsSubsetOf(device.Received.Select(r => r.Id)) && !deadline.IsCancellationRequested)
                {
                    await Task.Delay(50);
                }
                var received = device.Received.ToList();
                var missing = expected[device.Id].Except(received.Select(r => r.Id)).ToList();
                Assert.True(missing.Count == 0, $"{device.Username} is missing {missing.Count}: {string.Join(", ", missing.Take(10))}");
                Assert.Equal(expected[device.Id], received.Select(r => r.Id).ToHashSet());
                foreach (var repeated in received.GroupBy(r => r.Id).Where(g => g.Count() > 1))
                {
                    Assert.True(device == carol && repeated.First().Node == "node2",
                        $"{repeated.Key} reached {device.Username} {repeated.Count()} times, first over {repeated.First().Node}");
                }
            }
            output.WriteLine($"{clock.Elapsed}: all delivered; " + string.Join(", ", devices.Select(d =>
                $"{d.Username[..^8]} {d.Received.Count} frames over {d.Connections} connections")));
            Assert.True(carol.Connections >= 2);
            Assert.Contains(carol.Received, r => r.Node != "node2");
            Assert.Equal(nodes[0], carol.Node);
            foreach (NodeDevice device in devices)
            {
                for (int i = 0; i < 100 && await device.MailboxCountAsync() > 0; i++)
                {
                    await Task.Delay(50);
                }
                Assert.Equal(0, await device.MailboxCountAsync());
            }
        }
        finally
        {
            foreach (NodeDevice device in devices)
            {
                await device.DisposeAsync();
            }
            foreach (ServerNode node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Each round, both devices commit for the current epoch through their own nodes at
    /// once: exactly one is accepted and the other told stale_epoch with the new epoch. Returns the
    /// winners' (device id, message id).</summary>
    private static async Task<List<(string Sender, string Id)>> RaceCommitsAsync(string group, byte[] groupBytes, GroupSigner signer,
        (NodeDevice Device, uint Leaf) first,
        (NodeDevice Device, uint Leaf) second, int rounds)
    {
        var winners = new List<(string Sender, string Id)>();
        for (int round = 0; round < rounds; round++)
        {
            ulong epoch = await first.Device.EpochAsync(group);
            (NodeDevice Device, uint Leaf)[] racers = [first, second];
            string[] ids = racers.Select(_ => "c" + Guid.NewGuid().ToString("N")).ToArray();
            var results = await Task.WhenAll(racers.Select((r, i) => Task.Run(() =>
                r.Device.PostMessageAsync(group, ids[i], TestMls.Commit(groupBytes, epoch, r.Leaf), signer: signer))));
            int won = Array.FindIndex(results, r => r.Status == HttpStatusCode.OK);
            Assert.True(won >= 0, $"no commit won epoch {epoch}: {string.Join(" | ", results.Select(r => r.Body))}");
            var (lostStatus, lostBody) = results[1 - won];
            Assert.Equal(HttpStatusCode.Conflict, lostStatus);
            Assert.Equal("stale_epoch", lostBody.GetProperty("code").GetString());
            Assert.Equal(epoch + 1, lostBody.GetProperty("epoch").GetUInt64());
            Assert.Equal(epoch + 1, results[won].Body.GetProperty("epoch").GetUInt64());
            winners.Add((racers[won].Device.Id, ids[won]));
        }
        return winners;
    }
}
