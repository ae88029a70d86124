using Parley.Content;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Sync;
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Cli.Tests;

/// <summary>1:1 chats and groups between real devices (ParleyClient) through the real server process.</summary>
public sealed class ConversationTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    [Fact]
    public async Task Two_users_exchange_messages_in_a_direct_chat()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");

        var chat = await alice.OpenDirectAsync(bob.Username);
        Assert.Equal(ConversationKind.Direct, chat.Kind);
        var sent = await alice.SendTextAsync(chat.Id, "hello bob");
        Assert.Equal(DeliveryStatus.Sent, sent.State.Status);

        var report = await bob.SyncAsync();
        Assert.Contains(report.Events, e => e is ConversationJoined);
        var received = Assert.Single(report.Messages);
        Assert.Equal("hello bob", received.Message.Text);
        Assert.Equal(alice.Username, received.Message.SenderUsername);
        var bobChat = bob.GetConversation(alice.Username);
        Assert.Equal(ConversationKind.Direct, bobChat.Kind);
        Assert.Equal(alice.Username, bobChat.DisplayName);

        await bob.SendTextAsync(bobChat.Id, "hi alice");
        var back = await alice.SyncAsync();
        Assert.Equal("hi alice", Assert.Single(back.Messages).Message.Text);
        Assert.Equal(["hello bob", "hi alice"], Devices.Texts(alice, chat.Id));
        Assert.Equal(["hello bob", "hi alice"], Devices.Texts(bob, bobChat.Id));
        Assert.Equal(chat.Id, (await alice.OpenDirectAsync(bob.Username)).Id);
    }

    [Fact]
    public async Task A_device_whose_one_time_packages_ran_out_joins_through_its_last_resort_package_twice_and_tops_up()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");

        // Bob published KeyPackageTarget (6) one-time packages and a last-resort one; the 7th and 8th groups get the latter.
        var groups = new List<Conversation>();
        for (int i = 0; i < Devices.Options.KeyPackageTarget + 2; i++)
        {
            groups.Add(await alice.CreateGroupAsync($"group {i}", [bob.Username]));
        }

        // Below the low-water mark, the device tops its one-time packages back up (and keeps its last-resort package).
        Assert.Equal(Devices.Options.KeyPackageTarget, await bob.ReplenishKeyPackagesAsync());
        Assert.Equal(0, await bob.ReplenishKeyPackagesAsync());
        var report = await bob.SyncAsync();
        Assert.Equal(groups.Count, report.Events.OfType<ConversationJoined>().Count());
        foreach (var group in groups)
        {
            await alice.SendTextAsync(group.Id, "hello " + group.DisplayName);
        }
        var messages = (await bob.SyncAsync()).Messages.Select(m => m.Message.Text).Order().ToList();
        Assert.Equal(groups.Select(g => "hello " + g.DisplayName).Order(), messages);
    }

    [Fact]
    public async Task Three_users_one_with_two_devices_get_every_group_message_once_and_in_order_on_every_device()
    {
        var alice = await _devices.CreateAsync("alice");
        var alicePhone = await _devices.LinkAsync(alice, "phone");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");

        var team = await alice.CreateGroupAsync("team", [bob.Username, carol.Username]);
        Assert.Equal(4, team.Members.Sum(m => m.DeviceIds.Count));
        var all = new[] { alice, alicePhone, bob, carol };
        var expected = new List<string>();
        for (int round = 0; round < 3; round++)
        {
            foreach (var device in all)
            {
                await device.SyncAsync();
                var conversation = device.GetConversation("team");
                string text = $"{device.Username[..^6]}/{device.DeviceId[..4]} #{round}";
                await device.SendTextAsync(conversation.Id, text);
                expected.Add(text);
            }
        }
        foreach (var device in all)
        {
            await device.SyncAsync();
        }
        foreach (var device in all)
        {
            // Syncing again brings nothing new: nothing is delivered twice.
            Assert.Empty((await device.SyncAsync()).Messages);
            Assert.Equal(expected, Devices.Texts(device, "team"));
            var history = device.History(device.GetConversation("team").Id, 1000);
            Assert.Equal(history.Count, history.Select(m => m.MessageId).Distinct().Count());
        }
        // Alice's phone shows its own account's messages as outgoing.
        Assert.All(alicePhone.History(alicePhone.GetConversation("team").Id, 1000).Where(m => m.SenderUsername == alice.Username),
            m => Assert.True(m.IsOutgoing));
    }

    [Fact]
    public async Task A_message_sent_while_the_receiver_is_offline_arrives_when_it_comes_back()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        string bobHome = _devices.Home(bob.Username);
        _devices.Close(bob);

        for (int i = 1; i <= 5; i++)
        {
            await alice.SendTextAsync(chat.Id, $"while you were away {i}");
        }

        bob = _devices.Reopen(bobHome);
        var report = await bob.SyncAsync();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"while you were away {i}"), report.Messages.Select(m => m.Message.Text));
        Assert.Empty((await bob.SyncAsync()).Messages);
    }

    [Fact]
    public async Task A_removed_member_cannot_read_new_messages()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var group = await alice.CreateGroupAsync("club", [bob.Username, carol.Username]);
        await alice.SendTextAsync(group.Id, "before");
        await carol.SyncAsync();
        Assert.Equal(["before"], Devices.Texts(carol, "club"));

        await alice.RemoveMembersAsync(group.Id, [carol.Username]);
        Assert.DoesNotContain(alice.Store.GetConversation(group.Id)!.Members, m => m.Username == carol.Username);
        await alice.SendTextAsync(group.Id, "after");

        var carolReport = await carol.SyncAsync();
        Assert.Contains(carolReport.Events, e => e is RemovedFromConversation);
        Assert.Empty(carolReport.Messages);
        Assert.False(carol.IsMember(carol.GetConversation("club").Id));
        Assert.Equal(["before"], Devices.Texts(carol, "club"));
        Assert.Empty(await carol.ServerClient.GetMailboxAsync());

        await bob.SyncAsync();
        Assert.Equal(["before", "after"], Devices.Texts(bob, "club"));
        await Assert.ThrowsAsync<ParleyClientException>(() => carol.SendTextAsync(carol.GetConversation("club").Id, "let me in"));
    }

    [Fact]
    public async Task A_member_who_leaves_is_removed_by_the_next_member_online()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        await alice.CreateGroupAsync("book club", [bob.Username, carol.Username]);
        await bob.SyncAsync();
        await carol.SyncAsync();

        await carol.LeaveAsync(carol.GetConversation("book club").Id);
        Assert.Null(carol.FindConversation("book club"));

        await bob.SyncAsync();
        var group = bob.GetConversation("book club");
        Assert.DoesNotContain(group.Members, m => m.Username == carol.Username);
        await bob.SendTextAsync(group.Id, "carol left");
        await alice.SyncAsync();
        Assert.Equal(["carol left"], Devices.Texts(alice, "book club"));
        Assert.DoesNotContain(alice.GetConversation("book club").Members, m => m.Username == carol.Username);
        Assert.Empty((await carol.SyncAsync()).Messages);
    }

    [Fact]
    public async Task Concurrent_commits_are_retried_on_the_new_epoch()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var dave = await _devices.CreateAsync("dave");
        var group = await alice.CreateGroupAsync("race", [bob.Username]);
        await bob.SyncAsync();

        await Task.WhenAll(
            alice.AddMembersAsync(group.Id, [carol.Username]),
            bob.AddMembersAsync(bob.GetConversation("race").Id, [dave.Username]));

        foreach (var device in new[] { alice, bob, carol, dave })
        {
            await device.SyncAsync();
            Assert.Equal(new[] { alice, bob, carol, dave }.Select(d => d.Username).Order(),
                device.GetConversation("race").Members.Select(m => m.Username).Order());
        }
        await dave.SendTextAsync(dave.GetConversation("race").Id, "hello all");
        foreach (var device in new[] { alice, bob, carol })
        {
            await device.SyncAsync();
            Assert.Equal(["hello all"], Devices.Texts(device, "race"));
        }
    }

    [Fact]
    public async Task A_device_linked_later_joins_existing_conversations_and_a_revoked_one_is_removed()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        await alice.SendTextAsync(chat.Id, "before the laptop");

        var laptop = await _devices.LinkAsync(alice, "laptop");
        Assert.Equal(alice.Username, laptop.Username);
        await alice.SyncAsync(); // adds the laptop to the chat
        var joined = await laptop.SyncAsync();
        Assert.Contains(joined.Events, e => e is ConversationJoined);
        var laptopChat = laptop.GetConversation(bob.Username);
        Assert.Equal(ConversationKind.Direct, laptopChat.Kind);

        await bob.SyncAsync();
        await bob.SendTextAsync(bob.GetConversation(alice.Username).Id, "hi both devices");
        Assert.Equal("hi both devices", Assert.Single((await laptop.SyncAsync()).Messages).Message.Text);
        await laptop.SendTextAsync(laptopChat.Id, "from the laptop");
        Assert.Equal("from the laptop", Assert.Single((await bob.SyncAsync()).Messages).Message.Text);
        var onPhone = (await alice.SyncAsync()).Messages.Select(m => m.Message).ToList();
        Assert.Equal(["hi both devices", "from the laptop"], onPhone.Select(m => m.Text));
        Assert.True(onPhone[1].IsOutgoing);

        var devices = await alice.ListDevicesAsync();
        Assert.Equal(2, devices.Count);
        Assert.All(devices, d => Assert.True(d.CertificateValid));

        await alice.RevokeDeviceAsync(laptop.DeviceId[..10]);
        Assert.DoesNotContain(alice.GetConversation(bob.Username).Members.SelectMany(m => m.DeviceIds), id => id == laptop.DeviceId);
        await Assert.ThrowsAsync<Parley.Client.Network.ServerProblemException>(() => laptop.SyncAsync());
        await bob.SendTextAsync(bob.GetConversation(alice.Username).Id, "laptop is gone");
        await bob.SyncAsync();
        Assert.DoesNotContain(bob.GetConversation(alice.Username).Members.SelectMany(m => m.DeviceIds), id => id == laptop.DeviceId);
    }

    [Fact]
    public async Task Edits_deletions_reactions_and_receipts_reach_the_other_side()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        var first = await alice.SendTextAsync(chat.Id, "helo");
        var second = await alice.SendTextAsync(chat.Id, "oops");
        await bob.SyncAsync();
        var bobChat = bob.GetConversation(alice.Username);
        await bob.MarkReadAsync(bobChat.Id);
        await bob.ReactAsync(bobChat.Id, first.MessageId, "👍");
        await bob.ReplyAsync(bobChat.Id, first.MessageId, "hello to you");

        await alice.EditAsync(chat.Id, first.MessageId, "hello");
        await alice.DeleteForEveryoneAsync(chat.Id, second.MessageId);
        await alice.SyncAsync();
        var mine = alice.Store.FindMessage(chat.Id, first.MessageId)!;
        Assert.Contains(mine.State.Reactions, r => r.Reactor == bob.Username && r.Emoji == "👍");
        Assert.Contains(mine.State.Receipts, r => r.Recipient == bob.Username && r.ReadAt is not null);
        var reply = alice.History(chat.Id).Single(m => m.Content is ReplyContent);
        Assert.Equal(first.MessageId, ((ReplyContent)reply.Content!).InReplyTo);

        await bob.SyncAsync();
        Assert.Equal("hello", bob.Store.FindMessage(bobChat.Id, first.MessageId)!.Text);
        var deleted = bob.Store.FindMessage(bobChat.Id, second.MessageId)!;
        Assert.True(deleted.State.Deleted);
        Assert.Null(deleted.Content);
        await Assert.ThrowsAsync<ParleyClientException>(() => bob.EditAsync(bobChat.Id, first.MessageId, "hijacked"));

        // A reply names a message of the conversation, by its id or the first letters of it; anything else sends nothing.
        long before = bob.Store.CountMessages(bobChat.Id);
        await Assert.ThrowsAsync<ParleyClientException>(() => bob.ReplyAsync(bobChat.Id, "no-such-message", "to nothing"));
        await Assert.ThrowsAsync<ParleyClientException>(() => bob.ReplyAsync(bobChat.Id, first.MessageId[..3], "too short a prefix"));
        Assert.Equal(before, bob.Store.CountMessages(bobChat.Id));
        var byPrefix = await bob.ReplyAsync(bobChat.Id, first.MessageId[..5], "by prefix");
        Assert.Equal(first.MessageId, Assert.IsType<ReplyContent>(byPrefix.Content).InReplyTo);
    }

    [Fact]
    public async Task Disappearing_messages_are_deleted_on_every_device_after_the_timer()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        await alice.SendTextAsync(chat.Id, "this stays");
        await alice.SetDisappearingTimerAsync(chat.Id, TimeSpan.FromSeconds(2));
        await alice.SendTextAsync(chat.Id, "this goes");
        await bob.SyncAsync();
        var bobChat = bob.GetConversation(alice.Username);
        Assert.Equal(TimeSpan.FromSeconds(2), bobChat.DisappearingTimer);
        Assert.Equal(["this stays", "this goes"], Devices.Texts(bob, bobChat.Id));
        Assert.NotNull(bob.Store.FindMessage(bobChat.Id, bob.History(bobChat.Id).Last().MessageId)!.ExpiresAt);

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await bob.SyncAsync();
        await alice.SyncAsync();
        Assert.Equal(["this stays"], Devices.Texts(bob, bobChat.Id));
        Assert.Equal(["this stays"], Devices.Texts(alice, chat.Id));
        Assert.Empty(await bob.SearchAsync("goes"));
    }

    [Fact]
    public async Task A_fifty_megabyte_file_arrives_intact()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        string source = Path.Combine(fixture.Root, "big-" + Guid.NewGuid().ToString("N") + ".bin");
        await using (var file = File.Create(source))
        {
            var chunk = new byte[1 << 20];
            for (int i = 0; i < 50; i++)
            {
                RandomNumberGenerator.Fill(chunk);
                await file.WriteAsync(chunk);
            }
        }
        var uploads = new List<TransferProgress>();
        var sent = await alice.SendFileAsync(chat.Id, source, "the big one", null, new SyncProgress<TransferProgress>(uploads.Add));
        Assert.Contains(uploads, p => p.Stage == TransferStage.Uploading && p.Done == p.Total);

        var received = Assert.Single((await bob.SyncAsync()).Messages).Message;
        var content = Assert.IsType<AttachmentContent>(received.Content);
        Assert.Equal(50L << 20, content.Attachment.Size);
        Assert.Equal("the big one", received.Text);
        var attachment = Assert.Single(bob.AttachmentsOf(received));
        string saved = await bob.DownloadAttachmentAsync(attachment, Path.Combine(fixture.Root, "downloads-" + bob.Username));
        Assert.Equal(Path.GetFileName(source), Path.GetFileName(saved));
        Assert.Equal(await HashAsync(source), await HashAsync(saved));
        Assert.Equal(sent.MessageId, received.MessageId);
    }

    [Fact]
    public async Task A_listening_device_reads_a_Welcome_frame_larger_than_four_mebibytes()
    {
        // 3.5 MiB of Welcome (the server takes up to 4 MiB) is a WebSocket frame of about 4.7 MiB.
        using var padding = new WelcomePaddingHandler(3_500_000);
        var alice = await _devices.CreateAsync("alice", Devices.Options with { HttpHandler = padding });
        var bob = await _devices.CreateAsync("bob");
        var handled = new TaskCompletionSource<ClientEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.EventRaised += e =>
        {
            if (e is DeliveryDropped or ConversationJoined)
            {
                handled.TrySetResult(e);
            }
        };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listening = bob.ListenAsync(stop.Token);

        await alice.CreateGroupAsync("padded", [bob.Username]);

        // The padding breaks the Welcome's encryption, so Bob's device drops it. What matters is that it read the frame:
        // refusing it meant reconnecting and being sent the same frame again, forever.
        var dropped = Assert.IsType<DeliveryDropped>(await handled.Task.WaitAsync(stop.Token));
        Assert.Contains("Welcome", dropped.Reason);
        Assert.True(padding.Padded);
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task A_listening_device_sends_with_one_request_each_and_its_messages_reach_members_across_a_new_epoch()
    {
        using var log = new RequestLogHandler();
        var alice = await _devices.CreateAsync("alice", Devices.Options with { HttpHandler = log });
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var group = await alice.CreateGroupAsync("live", [bob.Username]);
        await bob.SyncAsync();

        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listening = alice.ListenAsync(stop.Token, open =>
        {
            if (open)
            {
                connected.TrySetResult();
            }
        });
        await connected.Task.WaitAsync(stop.Token);

        // Bob adds Carol (a commit, so a new epoch) while Alice, who has not processed it yet, keeps sending.
        var expected = new List<string>();
        log.Clear();
        var adding = bob.AddMembersAsync(bob.GetConversation("live").Id, [carol.Username], stop.Token);
        for (int i = 0; i < 10; i++)
        {
            string text = $"live {i}";
            await alice.SendTextAsync(group.Id, text, cancellationToken: stop.Token);
            expected.Add(text);
        }
        await adding;
        await alice.SendTextAsync(group.Id, "after the add", cancellationToken: stop.Token);
        expected.Add("after the add");

        // Each send was one POST: with the delivery socket open, nothing fetched the mailbox over HTTP.
        Assert.DoesNotContain(log.Requests, r => r.StartsWith("GET /v1/mailbox", StringComparison.Ordinal));
        Assert.Equal(expected.Count, log.Requests.Count(r => r.StartsWith("POST /v1/groups/", StringComparison.Ordinal)));

        await bob.SyncAsync();
        Assert.Equal(expected, Devices.Texts(bob, "live"));
        await carol.SyncAsync();
        Assert.Contains("after the add", Devices.Texts(carol, "live"));
        Assert.All(alice.History(group.Id, 100).Where(m => m.IsOutgoing), m => Assert.Equal(DeliveryStatus.Sent, m.State.Status));
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task A_listening_device_acknowledges_a_burst_of_messages_with_one_delivery_receipt()
    {
        using var log = new RequestLogHandler();
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob", Devices.Options with { HttpHandler = log, ReceiptDelay = TimeSpan.FromSeconds(2) });
        var chat = await alice.OpenDirectAsync(bob.Username);
        await bob.SyncAsync();
        for (int i = 0; i < 5; i++)
        {
            await alice.SendTextAsync(chat.Id, $"burst {i}");
        }

        // The five arrive through the socket one after another; their receipt waits ReceiptDelay and covers all five.
        int received = 0;
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.EventRaised += e =>
        {
            if (e is MessageReceived && Interlocked.Increment(ref received) == 5)
            {
                allReceived.TrySetResult();
            }
        };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        log.Clear();
        var listening = bob.ListenAsync(stop.Token);
        await allReceived.Task.WaitAsync(stop.Token);
        List<StoredMessage> burst;
        while (true)
        {
            await alice.SyncAsync(stop.Token);
            burst = alice.History(chat.Id, 10).Where(m => m.IsOutgoing).ToList();
            if (burst.All(m => m.State.Receipts.Any(r => r.Recipient == bob.Username && r.DeliveredAt is not null)))
            {
                break;
            }
            await Task.Delay(100, stop.Token);
        }
        Assert.Equal(5, burst.Count);
        Assert.Single(log.Requests, r => r.StartsWith("POST /v1/groups/", StringComparison.Ordinal));
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task A_long_rate_limit_pause_leaves_the_message_queued_instead_of_holding_the_device_and_a_short_one_is_waited_out()
    {
        using var limiter = new RateLimitingHandler();
        var alice = await _devices.CreateAsync("alice", Devices.Options with { HttpHandler = limiter });
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);

        limiter.Refuse(times: 1, retryAfterSeconds: 1);
        var waited = await alice.SendTextAsync(chat.Id, "after a short pause");
        Assert.Equal(DeliveryStatus.Sent, waited.State.Status);

        limiter.Refuse(times: 1, retryAfterSeconds: 60);
        var started = DateTime.UtcNow;
        var queued = await alice.SendTextAsync(chat.Id, "after a long pause");
        Assert.Equal(DeliveryStatus.Pending, queued.State.Status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the device waited out a minute-long pause");

        var sync = await alice.SyncAsync();
        Assert.Equal(0, sync.Pending);
        await bob.SyncAsync();
        Assert.Equal(["after a short pause", "after a long pause"], Devices.Texts(bob, bob.GetConversation(alice.Username).Id));
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream));
    }

    public void Dispose() => _devices.Dispose();
}

/// <summary>Pads the encrypted GroupInfo of every Welcome the device sends to <paramref name="size"/> bytes.</summary>
internal sealed class WelcomePaddingHandler(int size) : DelegatingHandler(new SocketsHttpHandler())
{
    public bool Padded { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal)
            && request.Content is not null
            && JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken)) is JsonObject body
            && body["welcome"]?.GetValue<string>() is { } encoded)
        {
            var welcome = MlsMessage.Decode(Convert.FromBase64String(encoded)).Welcome!;
            byte[] padded = new byte[size];
            welcome.EncryptedGroupInfo.CopyTo(padded, 0);
            body["welcome"] = Convert.ToBase64String(new MlsMessage(welcome with { EncryptedGroupInfo = padded }).ToBytes());
            var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            request.Content = content;
            Padded = true;
        }
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>An IProgress that reports on the caller's thread.</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>Records the method and path of every request a device makes, or what <paramref name="describe"/> says of
/// it (nothing when it returns null).</summary>
internal sealed class RequestLogHandler(Func<HttpRequestMessage, string?>? describe = null) : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly List<string> _requests = [];

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public void Clear()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? entry = describe is null ? $"{request.Method} {request.RequestUri!.AbsolutePath}" : describe(request);
        if (entry is not null)
        {
            lock (_requests)
            {
                _requests.Add(entry);
            }
        }
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Answers the next sends of a message with 429 and a Retry-After, as a server at its rate limit does.</summary>
internal sealed class RateLimitingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    private int _refusals;
    private int _retryAfterSeconds;

    public void Refuse(int times, int retryAfterSeconds)
    {
        _retryAfterSeconds = retryAfterSeconds;
        Volatile.Write(ref _refusals, times);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Authenticated and sealed sends alike.
        if (request.Method == HttpMethod.Post
            && (request.RequestUri!.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal)
                || request.RequestUri.AbsolutePath.EndsWith("/sealed", StringComparison.Ordinal))
            && Interlocked.Decrement(ref _refusals) >= 0)
        {
            var refused = new HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
            refused.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(_retryAfterSeconds));
            return Task.FromResult(refused);
        }
        return base.SendAsync(request, cancellationToken);
    }
}
