using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parley.Client;
using Parley.Client.Channels;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Cli.Tests;

/// <summary>Private channels (MLS groups where only admins post and subscribers are pseudonymous) and public channels
/// (signed, unencrypted, readable without an account), through the real server process: devices driven through
/// ParleyClient, and the real <c>parley</c> binary.</summary>
public sealed class ChannelTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    private string Server => fixture.Server.Address.ToString();

    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", Home(home), "--server", Server, .. args], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static JsonElement Json(CliResult result) => Cli.Json(result);

    private static void Succeeded(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    // ---- Private channels, through the client library -----------------------------------------------

    [Fact]
    public async Task Only_admins_post_a_non_admin_message_is_refused_by_the_server_and_dropped_by_every_member()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var channel = await alice.CreateChannelAsync("news-" + alice.Username[^6..]);
        var invite = await alice.CreateInviteAsync(channel);
        // An invite without approval: each joins at once by external commit, with Alice's device offline.
        Assert.Equal("joined", (await bob.JoinChannelAsync(invite.Link)).Status);
        Assert.Equal("joined", (await carol.JoinChannelAsync(invite.Link)).Status);
        await alice.SyncAsync();
        var bobChannel = bob.GetChannel(channel.Name);
        var carolChannel = carol.GetChannel(channel.Name);
        Assert.True(bobChannel.IsSubscriber);
        Assert.Equal([alice.Username], bobChannel.Admins);

        await alice.PostAsync(channel, "welcome");
        Assert.Equal(["welcome"], (await carol.ReadChannelAsync(carolChannel)).Select(p => p.Message.Text));

        // The client refuses locally...
        var refused = await Assert.ThrowsAsync<ParleyClientException>(() => bob.PostAsync(bobChannel, "can I post?"));
        Assert.Contains("Only the admins", refused.Message);

        // ...and a message built by hand past that check is refused by the server (it knows bob's queue is no admin), as is
        // anything bob's device sends to the channel: the device is in no roster, only its anonymous queue is...
        await bob.SyncAsync();
        byte[] raw = EncryptRaw(bob, bobChannel, "sneaked in");
        using (var queue = ParleyServerClient.ForQueue(fixture.Server.Address, bob.Store.GetPrivateChannel(bobChannel.Conversation)!.QueueToken!))
        {
            var problem = await Assert.ThrowsAsync<ServerProblemException>(() =>
                queue.SendMessageAsync(bobChannel.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), raw, null)));
            Assert.Equal(("not_channel_admin", 403), (problem.Code, problem.Status));
        }
        var asDevice = await Assert.ThrowsAsync<ServerProblemException>(() =>
            bob.ServerClient.SendMessageAsync(bobChannel.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), raw, null)));
        Assert.Equal("group_not_found", asDevice.Code);

        // ...and a member whose server delivered it anyway drops it: carol's client behind a server that injects it.
        string carolHome = _devices.Home(carol.Username);
        _devices.Close(carol);
        using var injecting = new InjectingHandler(raw);
        using var injected = ParleyClient.Open(carolHome, Cli.Passphrase, fixture.Server.Address, Devices.Options with { HttpHandler = injecting });
        var report = await injected.SyncAsync();
        Assert.True(injecting.Injected);
        var dropped = Assert.Single(report.Events.OfType<DeliveryDropped>());
        Assert.True(dropped.Reason.Contains("not one of its admins", StringComparison.Ordinal), dropped.Reason);
        Assert.Empty(report.Messages);
        Assert.Equal(["welcome"], Devices.Texts(injected, carolChannel.Conversation));

        // Subscribers see the admins by name and each other only as pseudonyms.
        var summary = await bob.GetChannelSummaryAsync(bobChannel);
        Assert.Equal(2, summary.Subscribers);
        Assert.Equal(2, summary.LocalSubscribers);
        Assert.DoesNotContain(bob.Store.GetConversation(bobChannel.Conversation)!.Members, m => m.Username == injected.Username);
    }

    [Fact]
    public async Task Posts_are_read_in_order_with_edits_deletions_and_anonymous_view_counts()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var channel = await alice.CreateChannelAsync("digest-" + alice.Username[^6..]);
        var open = await alice.CreateInviteAsync(channel);
        var approved = await alice.CreateInviteAsync(channel, TimeSpan.FromDays(7), approval: true);
        await bob.JoinChannelAsync(open.Link);
        var carolRequest = await carol.JoinChannelAsync(approved.Link);
        Assert.Equal("pending", carolRequest.Status);

        await alice.SyncAsync();
        var waiting = Assert.Single(await alice.ListChannelRequestsAsync(channel));
        Assert.True(waiting.Approval);
        Assert.Empty((await carol.SyncAsync()).Events.OfType<ConversationJoined>());
        await alice.ApproveJoinRequestAsync(channel, waiting.RequestId);
        await bob.SyncAsync();
        Assert.Contains((await carol.SyncAsync()).Events, e => e is ConversationJoined);
        Assert.Empty(await carol.ListJoinRequestsAsync());

        var first = await alice.PostAsync(channel, "one");
        var second = await alice.PostAsync(channel, "two");
        await alice.PostAsync(channel, "three");
        foreach (var reader in new[] { bob, carol })
        {
            var posts = await reader.ReadChannelAsync(reader.GetChannel(channel.Name));
            Assert.Equal(["one", "two", "three"], posts.Select(p => p.Message.Text));
            Assert.All(posts, p => Assert.Equal(alice.Username, p.Message.SenderUsername));
        }
        // Reading again counts nothing twice.
        await bob.ReadChannelAsync(bob.GetChannel(channel.Name));
        var counted = await alice.ReadChannelAsync(channel);
        Assert.Equal([2L, 2L, 2L], counted.Select(p => p.Views ?? -1));

        await alice.EditPostAsync(channel, first.MessageId, "one (fixed)");
        await alice.DeletePostAsync(channel, second.MessageId);
        var after = await bob.ReadChannelAsync(bob.GetChannel(channel.Name));
        Assert.Equal("one (fixed)", after[0].Message.Text);
        Assert.NotNull(after[0].Message.State.EditedText);
        Assert.True(after[1].Message.State.Deleted);
        Assert.Equal("three", after[2].Message.Text);

        // A subscriber who leaves is no longer counted once an admin's device commits the removal.
        await carol.LeaveChannelAsync(carol.GetChannel(channel.Name));
        await alice.SyncAsync();
        Assert.Equal(1, (await alice.GetChannelSummaryAsync(channel)).Subscribers);
        Assert.Null(carol.FindChannel(channel.Name));
    }

    [Fact]
    public async Task A_listening_subscriber_gets_posts_pushed_through_its_queues_own_socket()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var channel = await alice.CreateChannelAsync("live-" + alice.Username[^6..]);
        Assert.Equal("joined", (await bob.JoinChannelAsync((await alice.CreateInviteAsync(channel)).Link)).Status);
        var received = new TaskCompletionSource<MessageReceived>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.EventRaised += e =>
        {
            if (e is MessageReceived { Message.Text: "while you listen" } message)
            {
                received.TrySetResult(message);
            }
        };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = bob.ListenAsync(stop.Token, open =>
        {
            if (open)
            {
                connected.TrySetResult();
            }
        });
        await connected.Task.WaitAsync(stop.Token);

        var posted = System.Diagnostics.Stopwatch.StartNew();
        await alice.PostAsync(channel, "while you listen");

        // The queue has a delivery socket of its own (never the device's): the post is pushed, well before the listener's
        // housekeeping would read the queue (its first tick comes 15 seconds after listening started).
        var message = await received.Task.WaitAsync(TimeSpan.FromSeconds(10), stop.Token);
        Assert.True(posted.Elapsed < TimeSpan.FromSeconds(10), $"the post took {posted.Elapsed}");
        Assert.Equal(channel.Name, message.Conversation.DisplayName);
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task A_subscriber_from_before_queues_moves_its_leaf_to_a_queue_on_its_next_sync()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var channel = await alice.CreateChannelAsync("moving-" + alice.Username[^6..]);
        Assert.Equal("joined", (await bob.JoinChannelAsync((await alice.CreateInviteAsync(channel)).Link)).Status);
        var bobChannel = bob.GetChannel(channel.Name);
        // As an earlier version left it: the server maps Bob's leaf to his device, and his record holds no queue.
        var record = bob.Store.GetPrivateChannel(bobChannel.Conversation)!;
        ExecuteOnServer("UPDATE group_members SET device_id = $a WHERE device_id = $b", bob.DeviceId, QueueIdOf(record.QueueToken!));
        Assert.Equal(1L, ExecuteOnServer("SELECT count(*) FROM group_members WHERE device_id = $a", bob.DeviceId, ""));
        using (var transaction = bob.Store.BeginTransaction())
        {
            transaction.SaveChannelRecord(record with { QueueToken = null });
            transaction.Commit();
        }
        await alice.PostAsync(channel, "before the move");

        await bob.SyncAsync();

        var moved = bob.Store.GetPrivateChannel(bobChannel.Conversation)!;
        Assert.False(moved.QueueMoving);
        Assert.NotNull(moved.QueueToken);
        Assert.NotEqual(record.QueueToken, moved.QueueToken);
        // The server's roster holds the new queue, and no leaf of Bob's device any more.
        Assert.Equal(0L, ExecuteOnServer("SELECT count(*) FROM group_members WHERE device_id = $a", bob.DeviceId, ""));
        Assert.Equal(1L, ExecuteOnServer("SELECT count(*) FROM group_members WHERE device_id = $a", QueueIdOf(moved.QueueToken!), ""));
        await alice.PostAsync(channel, "after the move");
        Assert.Equal(["before the move", "after the move"], (await bob.ReadChannelAsync(bobChannel)).Select(p => p.Message.Text));
    }

    // The queue id a token opens (docs/channels.md, "Subscriber queues").
    private static string QueueIdOf(byte[] token)
    {
        byte[] input = [.. "Parley queue v1\0"u8, .. System.Security.Cryptography.SHA256.HashData(token)];
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(input)[..16]);
    }

    // Runs one statement on the server's database (a stand-in for what an earlier server version stored); returns its first value.
    private object? ExecuteOnServer(string sql, string a, string b)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(fixture.Server.DataDirectory, "parley.db")};Pooling=False;Default Timeout=30");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", a);
        command.Parameters.AddWithValue("$b", b);
        return command.ExecuteScalar();
    }

    [Fact]
    public async Task A_revoked_or_expired_invite_cannot_be_used_and_a_denied_request_never_joins()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var channel = await alice.CreateChannelAsync("closed-" + alice.Username[^6..]);
        var invite = await alice.CreateInviteAsync(channel, approval: true);
        Assert.Single(await alice.ListInvitesAsync(channel));
        await alice.RevokeInviteAsync(channel, invite.InviteId);
        var revoked = await Assert.ThrowsAsync<ParleyClientException>(() => bob.JoinChannelAsync(invite.Link));
        Assert.Contains("revoked", revoked.Message);
        Assert.Empty(bob.Store.GetChannelRecords().OfType<PendingChannelJoin>());

        var second = await alice.CreateInviteAsync(channel, approval: true);
        var request = await carol.JoinChannelAsync(second.Link);
        await alice.DenyJoinRequestAsync(channel, request.RequestId!);
        await alice.SyncAsync();
        Assert.Empty((await carol.SyncAsync()).Events.OfType<ConversationJoined>());
        Assert.Equal("denied", Assert.Single(await carol.ListJoinRequestsAsync()).Status);
        Assert.Null(carol.FindChannel(channel.Name));
    }

    [Fact]
    public async Task An_admin_added_later_posts_under_their_name_and_a_removed_admin_leaves()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var dave = await _devices.CreateAsync("dave");
        var channel = await alice.CreateChannelAsync("team-" + alice.Username[^6..]);
        var invite = await alice.CreateInviteAsync(channel);
        await bob.JoinChannelAsync(invite.Link);
        await alice.SyncAsync();
        await bob.SyncAsync();

        channel = await alice.AddChannelAdminAsync(channel, dave.Username);
        Assert.Equal([alice.Username, dave.Username], channel.Admins.Order());
        await dave.SyncAsync();
        var daveChannel = dave.GetChannel(channel.Name);
        Assert.True(daveChannel.IsAdmin);
        await dave.PostAsync(daveChannel, "hello from dave");
        var posts = await bob.ReadChannelAsync(bob.GetChannel(channel.Name));
        Assert.Equal(dave.Username, Assert.Single(posts).Message.SenderUsername);
        Assert.Equal(2, bob.GetChannel(channel.Name).Admins.Count);

        await alice.RemoveChannelAdminAsync(channel, dave.Username);
        Assert.Contains((await dave.SyncAsync()).Events, e => e is RemovedFromConversation);
        await bob.SyncAsync();
        Assert.Equal([alice.Username], bob.GetChannel(channel.Name).Admins);
        var last = await Assert.ThrowsAsync<ParleyClientException>(() => alice.RemoveChannelAdminAsync(channel, alice.Username));
        Assert.Contains("last admin", last.Message);
        var notAdmin = await Assert.ThrowsAsync<ParleyClientException>(() => bob.AddChannelAdminAsync(bob.GetChannel(channel.Name), bob.Username));
        Assert.Contains("Only the admins", notAdmin.Message);
    }

    // ---- Public channels, through the client library ------------------------------------------------

    [Fact]
    public async Task A_tampered_public_post_fails_verification_and_a_changed_owner_key_is_reported()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        string name = "pub-" + alice.Username[^6..];
        await alice.CreatePublicChannelAsync(name, "Town news");
        await alice.PublishAsync(name, "the market opens at nine");

        var honest = await ParleyClient.ReadPublicChannelAnonymouslyAsync(fixture.Server.Address, name, countViews: false);
        var post = Assert.Single(honest.Posts);
        Assert.True(post.Verified, post.Problem);
        Assert.Equal("the market opens at nine", post.Text);

        using var tampering = new RewritingHandler(body => TamperPostText(body));
        var tampered = await ParleyClient.ReadPublicChannelAnonymouslyAsync(fixture.Server.Address, name, countViews: false, handler: tampering);
        var bad = Assert.Single(tampered.Posts);
        Assert.False(bad.Verified);
        Assert.Null(bad.Text);
        Assert.Contains("signature", bad.Problem);

        Assert.Equal(OwnerKeyStatus.PinnedNow, (await bob.ReadPublicChannelAsync(name)).OwnerKey);
        Assert.Equal(OwnerKeyStatus.Matches, (await bob.ReadPublicChannelAsync(name)).OwnerKey);
        string bobHome = _devices.Home(bob.Username);
        _devices.Close(bob);
        using var swapping = new RewritingHandler(SwapIdentityKeys);
        using var misled = ParleyClient.Open(bobHome, Cli.Passphrase, fixture.Server.Address, Devices.Options with { HttpHandler = swapping });
        var swapped = await misled.ReadPublicChannelAsync(name);
        Assert.Equal(OwnerKeyStatus.Changed, swapped.OwnerKey);
        Assert.False(Assert.Single(swapped.Posts).Verified);
    }

    // ---- The command line ---------------------------------------------------------------------------

    [Fact]
    public async Task Group_list_shows_a_private_channel_as_a_channel_with_its_admins_and_unread_posts()
    {
        string alice = Unique("alice"), bob = Unique("bob"), carol = Unique("carol");
        foreach (string user in new[] { alice, bob, carol })
        {
            Succeeded(await Run(user, "account", "create", user));
        }
        string name = "notes-" + alice[^6..];
        Succeeded(await Run(alice, "channel", "create", name));
        string link = Json(await Run(alice, "channel", "invite", name, "--json")).GetProperty("link").GetString()!;
        Succeeded(await Run(bob, "channel", "join", link));
        Succeeded(await Run(carol, "channel", "join", link));
        Succeeded(await Run(alice, "receive"));
        Succeeded(await Run(bob, "receive"));
        Succeeded(await Run(carol, "receive"));
        Succeeded(await Run(bob, "group", "create", "friends", "--members", carol));
        Succeeded(await Run(alice, "channel", "post", name, "first post"));
        using (var device = ParleyClient.Open(Home(bob), Cli.Passphrase, fixture.Server.Address, Devices.Options))
        {
            // A sync that shows nothing (`parley receive` would mark the post read).
            await device.SyncAsync();
        }

        var listed = Json(await Run(bob, "group", "list", "--json")).EnumerateArray().ToList();
        var channel = Assert.Single(listed, c => c.GetProperty("kind").GetString() == "channel");
        Assert.Equal(name, channel.GetProperty("name").GetString());
        // Its members are its admins: the other subscribers are pseudonyms, never listed.
        Assert.Equal([alice], channel.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(1, channel.GetProperty("unread").GetInt32());
        Assert.Contains(listed, c => c.GetProperty("name").GetString() == "friends" && c.GetProperty("kind").GetString() == "group");

        var human = await Run(bob, "group", "list");
        Succeeded(human);
        Assert.Contains(human.Output.Split('\n'), line => line.Contains(name) && line.Contains("channel") && line.Contains("admins: " + alice));
        Assert.DoesNotContain("anon:", human.Output);
        Assert.Contains("parley channel read", human.Error);

        Succeeded(await Run(bob, "channel", "read", name));
        Assert.Equal(0, Json(await Run(bob, "group", "list", "--json")).EnumerateArray()
            .Single(c => c.GetProperty("kind").GetString() == "channel").GetProperty("unread").GetInt32());
    }

    [Fact]
    public async Task A_private_channel_on_the_command_line_with_invites_approval_posts_views_edits_and_anonymity()
    {
        string alice = Unique("alice"), bob = Unique("bob"), carol = Unique("carol"), dave = Unique("dave");
        foreach (string user in new[] { alice, bob, carol, dave })
        {
            Succeeded(await Run(user, "account", "create", user));
        }
        string name = "news-" + alice[^6..];
        var created = Json(await Run(alice, "channel", "create", name, "--json"));
        Assert.Equal("private", created.GetProperty("kind").GetString());
        string open = Json(await Run(alice, "channel", "invite", name, "--json")).GetProperty("link").GetString()!;
        var approvalInvite = Json(await Run(alice, "channel", "invite", name, "--approval", "--expires", "7d", "--json"));
        Assert.True(approvalInvite.GetProperty("approval").GetBoolean());
        string approvalLink = approvalInvite.GetProperty("link").GetString()!;
        Assert.StartsWith("parley-invite:", open);

        Assert.Equal("joined", Json(await Run(bob, "channel", "join", open, "--json")).GetProperty("status").GetString());
        Succeeded(await Run(carol, "channel", "join", approvalLink));
        Succeeded(await Run(alice, "receive"));
        var requests = Json(await Run(alice, "channel", "requests", name, "--json")).EnumerateArray().ToList();
        var request = Assert.Single(requests);
        Assert.True(request.GetProperty("approval").GetBoolean());
        Succeeded(await Run(alice, "channel", "approve", name, request.GetProperty("requestId").GetString()!));
        Succeeded(await Run(bob, "receive"));
        Succeeded(await Run(carol, "receive"));

        Succeeded(await Run(alice, "channel", "post", name, "first post"));
        var second = Json(await Run(alice, "channel", "post", name, "second post", "--json"));
        string secondId = second.GetProperty("id").GetString()!;

        var refused = await Run(bob, "channel", "post", name, "let me in");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Only the admins", refused.Error);
        Assert.DoesNotContain("\n", refused.Error.Trim());

        foreach (string reader in new[] { bob, carol })
        {
            var read = Json(await Run(reader, "channel", "read", name, "--json"));
            Assert.Equal("private", read.GetProperty("kind").GetString());
            Assert.Equal(["first post", "second post"], read.GetProperty("posts").EnumerateArray().Select(p => p.GetProperty("text").GetString()));
        }
        var human = await Run(bob, "channel", "read", name);
        Succeeded(human);
        Assert.Contains("PRIVATE", human.Output);
        Assert.Contains($"{alice}: first post", human.Output);

        var views = Json(await Run(alice, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray()
            .Select(p => p.GetProperty("views").GetInt64()).ToList();
        Assert.Equal([2L, 2L], views);

        // Subscribers see admins by name, each other not at all.
        var bobInfo = Json(await Run(bob, "channel", "info", name, "--json"));
        Assert.Equal([alice], bobInfo.GetProperty("admins").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(2, bobInfo.GetProperty("subscribers").GetInt64());
        Assert.Equal("subscriber", bobInfo.GetProperty("role").GetString());
        foreach (var output in new[]
                 {
                     await Run(bob, "channel", "info", name), await Run(bob, "channel", "list"), await Run(bob, "group", "list", "--json"),
                     await Run(bob, "channel", "read", name, "--json"),
                 })
        {
            Succeeded(output);
            Assert.DoesNotContain(carol, output.Output);
        }
        foreach (var output in new[] { await Run(carol, "channel", "info", name), await Run(carol, "group", "list", "--json") })
        {
            Assert.DoesNotContain(bob, output.Output);
        }

        Succeeded(await Run(alice, "channel", "edit", name, secondId, "second post (fixed)"));
        var firstId = Json(await Run(alice, "channel", "read", name, "--json")).GetProperty("posts")[0].GetProperty("id").GetString()!;
        Succeeded(await Run(alice, "channel", "delete", name, firstId));
        var edited = Json(await Run(carol, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray().ToList();
        Assert.True(edited[0].GetProperty("deleted").GetBoolean());
        Assert.Equal("second post (fixed)", edited[1].GetProperty("text").GetString());
        Assert.True(edited[1].GetProperty("edited").GetBoolean());

        // A revoked invite no longer works.
        var invites = Json(await Run(alice, "channel", "invites", name, "--json")).EnumerateArray().ToList();
        Assert.Equal(2, invites.Count);
        // Both invites may share a creation second, so pick the open one by its kind, not its place in the list.
        var openInvite = Assert.Single(invites, i => !i.GetProperty("approval").GetBoolean());
        Succeeded(await Run(alice, "channel", "revoke-invite", name, openInvite.GetProperty("inviteId").GetString()!));
        var late = await Run(dave, "channel", "join", open);
        Assert.Equal(1, late.ExitCode);
        Assert.Contains("revoked", late.Error);
        var garbage = await Run(dave, "channel", "join", "parley-invite:nonsense");
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("not a Parley invite link", garbage.Error);
    }

    [Fact]
    public async Task A_subscriber_joins_by_link_while_no_admin_is_online_reads_posts_and_leaves_on_the_command_line()
    {
        string alice = Unique("alice"), bob = Unique("bob");
        foreach (string user in new[] { alice, bob })
        {
            Succeeded(await Run(user, "account", "create", user));
        }
        string name = "open-" + alice[^6..];
        Succeeded(await Run(alice, "channel", "create", name, "--history", "5"));
        Succeeded(await Run(alice, "channel", "post", name, "before you came"));
        string open = Json(await Run(alice, "channel", "invite", name, "--json")).GetProperty("link").GetString()!;

        // Alice's Parley runs nowhere now: Bob joins at once, by external commit through the invite.
        var joined = await Run(bob, "channel", "join", open);
        Succeeded(joined);
        Assert.Contains($"Joined {name} as an anonymous subscriber", joined.Output);
        Assert.Contains(Json(await Run(bob, "channel", "list", "--json")).EnumerateArray(),
            c => c.GetProperty("name").GetString() == name && c.GetProperty("role").GetString() == "subscriber");
        Assert.Contains("No posts yet", (await Run(bob, "channel", "read", name)).Output);

        // When Alice's Parley is next online it shares the recent posts with the newcomer, and her next post reaches Bob.
        Succeeded(await Run(alice, "receive"));
        Succeeded(await Run(alice, "channel", "post", name, "hello, subscribers"));
        Assert.Equal(["before you came", "hello, subscribers"], Json(await Run(bob, "channel", "read", name, "--json")).GetProperty("posts")
            .EnumerateArray().Select(p => p.GetProperty("text").GetString()));
        var info = Json(await Run(alice, "channel", "info", name, "--json"));
        Assert.Equal(1, info.GetProperty("subscribers").GetInt64());

        // Leaving proposes the removal from Bob's queue; Alice's next receive commits it.
        var left = await Run(bob, "channel", "leave", name);
        Succeeded(left);
        Assert.Contains($"Left {name}", left.Output);
        Succeeded(await Run(alice, "receive"));
        Assert.Equal(0, Json(await Run(alice, "channel", "info", name, "--json")).GetProperty("subscribers").GetInt64());
        Assert.DoesNotContain(Json(await Run(bob, "channel", "list", "--json")).EnumerateArray(), c => c.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task The_admin_is_told_of_a_join_request_and_a_new_subscriber_reads_the_recent_posts_on_the_command_line()
    {
        string alice = Unique("alice"), bob = Unique("bob"), carol = Unique("carol");
        foreach (string user in new[] { alice, bob, carol })
        {
            Succeeded(await Run(user, "account", "create", user));
        }
        string name = "club-" + alice[^6..];
        Succeeded(await Run(alice, "channel", "create", name, "--history", "2"));
        foreach (string text in new[] { "one", "two", "three" })
        {
            Succeeded(await Run(alice, "channel", "post", name, text));
        }
        string thirdId = Json(await Run(alice, "channel", "read", name, "--json")).GetProperty("posts")[2].GetProperty("id").GetString()!;
        Succeeded(await Run(alice, "channel", "edit", name, thirdId, "three (fixed)"));
        string approvalLink = Json(await Run(alice, "channel", "invite", name, "--approval", "--json")).GetProperty("link").GetString()!;
        Succeeded(await Run(bob, "channel", "join", approvalLink));

        // The admin's next receive tells of the request, with the command that approves it; once.
        var told = await Run(alice, "receive");
        Succeeded(told);
        var announcement = System.Text.RegularExpressions.Regex.Match(told.Output, $"Someone asked to join {name} \\(request ([0-9a-f]+)\\): `parley channel approve {name} ([0-9a-f]+)`");
        Assert.True(announcement.Success, told.ToString());
        string requestId = announcement.Groups[1].Value;
        Assert.Equal(requestId, announcement.Groups[2].Value);
        Assert.DoesNotContain("asked to join", (await Run(alice, "receive")).Output);

        Succeeded(await Run(alice, "channel", "approve", name, requestId));
        var joined = await Run(bob, "receive");
        Succeeded(joined);
        // The client reports the shared history; the CLI says where to read it.
        Assert.Contains($"{name}: {alice} shared 2 recent posts (see `parley channel read {name}`).", joined.Output);
        var read = await Run(bob, "channel", "read", name);
        Succeeded(read);
        Assert.DoesNotContain("No posts yet", read.Output);
        Assert.Equal(["two", "three (fixed)"], Json(await Run(bob, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray()
            .Select(p => p.GetProperty("text").GetString()));

        // With the history set to 0 a new subscriber starts empty, and an earlier one keeps exactly what it had.
        Succeeded(await Run(alice, "channel", "set-history", name, "0"));
        var badLimit = await Run(alice, "channel", "set-history", name, "-1");
        Assert.Equal(1, badLimit.ExitCode);
        string open = Json(await Run(alice, "channel", "invite", name, "--json")).GetProperty("link").GetString()!;
        Succeeded(await Run(carol, "channel", "join", open));
        Succeeded(await Run(alice, "receive"));
        Succeeded(await Run(carol, "receive"));
        Assert.Contains("No posts yet", (await Run(carol, "channel", "read", name)).Output);
        Succeeded(await Run(alice, "channel", "post", name, "four"));
        Assert.Equal(["two", "three (fixed)", "four"], Json(await Run(bob, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray()
            .Select(p => p.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_public_channel_is_clearly_public_and_readable_by_a_reader_without_an_account()
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Succeeded(await Run(alice, "account", "create", alice));
        Succeeded(await Run(bob, "account", "create", bob));
        string name = "town-" + alice[^6..];

        var created = await Run(alice, "channel", "create", name, "--public", "--title", "Town news");
        Succeeded(created);
        Assert.Contains("PUBLIC", created.Output);
        Assert.Contains("not encrypted", created.Output);
        var posted = Json(await Run(alice, "channel", "post", name, "the market opens at nine", "--json"));
        Assert.Equal("public", posted.GetProperty("kind").GetString());
        Succeeded(await Run(alice, "channel", "post", name, "rain tomorrow"));
        string postId = posted.GetProperty("id").GetString()!;
        Succeeded(await Run(alice, "channel", "edit", name, postId, "the market opens at ten"));
        var refused = await Run(bob, "channel", "post", name, "spam");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Only the admins", refused.Error);

        // No account, no home: read with --server only.
        string nobody = Unique("nobody");
        var anonymous = Json(await Run(nobody, "channel", "read", name, "--json"));
        Assert.False(Directory.Exists(Home(nobody)));
        Assert.Equal("public", anonymous.GetProperty("kind").GetString());
        Assert.Contains("PUBLIC", anonymous.GetProperty("notice").GetString());
        Assert.Equal("not-pinned", anonymous.GetProperty("ownerKey").GetString());
        var posts = anonymous.GetProperty("posts").EnumerateArray().ToList();
        Assert.Equal(["the market opens at ten", "rain tomorrow"], posts.Select(p => p.GetProperty("text").GetString()));
        Assert.All(posts, p => Assert.True(p.GetProperty("verified").GetBoolean()));
        Assert.True(posts[0].GetProperty("edited").GetBoolean());
        var text = await Run(nobody, "channel", "read", name);
        Succeeded(text);
        Assert.Contains("PUBLIC — anyone with the name can read this channel; posts are not encrypted.", text.Output);
        Assert.Contains("✓ signed", text.Output);
        var info = await Run(nobody, "channel", "info", name);
        Succeeded(info);
        Assert.Contains("PUBLIC", info.Output);
        Assert.Contains($"Owner: {alice}", info.Output);

        // A reader with an account pins the owner's key on first read and subscribes; the subscription stays on the device.
        Assert.Equal("pinned-now", Json(await Run(bob, "channel", "read", name, "--json")).GetProperty("ownerKey").GetString());
        Assert.Equal("matches", Json(await Run(bob, "channel", "read", name, "--json")).GetProperty("ownerKey").GetString());
        Succeeded(await Run(bob, "channel", "join", name));
        var counted = Json(await Run(bob, "channel", "info", name, "--json"));
        Assert.Equal(JsonValueKind.Null, counted.GetProperty("subscribers").ValueKind);
        Assert.Contains(Json(await Run(bob, "channel", "list", "--json")).EnumerateArray(),
            c => c.GetProperty("name").GetString() == name && c.GetProperty("kind").GetString() == "public");
        var list = await Run(bob, "channel", "list");
        Assert.Contains("PUBLIC", list.Output);

        Succeeded(await Run(alice, "channel", "delete", name, postId));
        var afterDelete = Json(await Run(nobody, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray().ToList();
        Assert.True(afterDelete[0].GetProperty("deleted").GetBoolean());
        Assert.True(afterDelete[0].GetProperty("views").GetInt64() >= 2);

        var missing = await Run(nobody, "channel", "read", "no-such-" + alice[^6..]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("There is no public channel", missing.Error);
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    // An application message encrypted in bob's current epoch with a valid franking commitment, never stored by bob.
    private static byte[] EncryptRaw(ParleyClient client, PrivateChannel channel, string text)
    {
        var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent(text), Franking.NewKey());
        byte[] bytes = envelope.Encode();
        using var group = client.Store.LoadGroup(channel.Conversation);
        return group.EncryptApplicationMessage(bytes, Franking.AadFor(bytes)).ToBytes();
    }

    private static string TamperPostText(string body)
    {
        var json = JsonNode.Parse(body)!;
        if (json["posts"] is JsonArray posts)
        {
            foreach (var entry in posts)
            {
                var post = PublicPost.Decode(Convert.FromBase64String(entry!["post"]!.GetValue<string>()));
                entry["post"] = Convert.ToBase64String((post with { Text = post.Text + "!" }).Encode());
            }
        }
        return json.ToJsonString();
    }

    private static string SwapIdentityKeys(string body)
    {
        var json = JsonNode.Parse(body)!;
        if (json["admins"] is JsonArray admins)
        {
            foreach (var admin in admins)
            {
                using var key = Parley.Client.Identity.AccountIdentityKey.Generate();
                admin!["identityKey"] = Convert.ToBase64String(key.PublicKey);
            }
        }
        return json.ToJsonString();
    }

    public void Dispose() => _devices.Dispose();

    /// <summary>A server that delivers one extra message: appends it to the first mailbox page and acknowledges it itself.</summary>
    private sealed class InjectingHandler(byte[] message) : DelegatingHandler(new SocketsHttpHandler())
    {
        private const string FakeId = "injected-by-test";

        public bool Injected { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string path = request.RequestUri!.AbsolutePath;
            if (request.Method == HttpMethod.Delete && path.EndsWith("/v1/mailbox/" + FakeId, StringComparison.Ordinal))
            {
                return new HttpResponseMessage(HttpStatusCode.NoContent);
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (Injected || request.Method != HttpMethod.Get || !path.EndsWith("/v1/mailbox", StringComparison.Ordinal) || !response.IsSuccessStatusCode)
            {
                return response;
            }
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!;
            var messages = json["messages"]!.AsArray();
            long sequence = messages.Count == 0 ? 1_000_000 : messages[^1]!["sequence"]!.GetValue<long>() + 1;
            messages.Add(new JsonObject
            {
                ["type"] = "message",
                ["sequence"] = sequence,
                ["id"] = FakeId,
                ["message"] = Convert.ToBase64String(message),
            });
            Injected = true;
            response.Content = new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json");
            return response;
        }
    }

    /// <summary>A server whose JSON answers about public channels are rewritten on the way (a malicious operator).</summary>
    private sealed class RewritingHandler(Func<string, string> rewrite) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Get || !request.RequestUri!.AbsolutePath.Contains("/v1/public-channels/", StringComparison.Ordinal)
                || !response.IsSuccessStatusCode)
            {
                return response;
            }
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Content = new StringContent(rewrite(body), Encoding.UTF8, "application/json");
            return response;
        }
    }
}
