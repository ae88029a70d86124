using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Channels;
using Parley.Server.Groups;

namespace Parley.Server.Tests;

/// <summary>Private channels: MLS groups in which only admins post, subscribers join through invites with pseudonymous
/// leaves, and the server counts subscribers and views.</summary>
public sealed class ChannelTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_non_admins_post_to_a_private_channel_is_refused_and_not_delivered()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice subscriber = await SubscribeAsync(alice.Device, channel);
        await DrainAsync(alice.Device, subscriber);

        using var refused = await channel.SendAsync(subscriber, TestMls.Application(channel.Id, channel.Epoch), id: "not-allowed");
        using var posted = await channel.SendAsync(alice.Device, TestMls.Application(channel.Id, channel.Epoch), id: "announcement");

        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(refused)));
        await TestHttp.EnsureAsync(posted);
        Assert.Empty(await TestMailbox.ReadAsync(alice.Device));
        Assert.Equal("announcement", Assert.Single(await TestMailbox.ReadAsync(subscriber)).Id);
    }

    [Fact]
    public async Task A_non_admins_add_commit_is_refused()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice subscriber = await SubscribeAsync(alice.Device, channel);
        TestUser mallory = await TestUser.RegisterAsync(_server);
        KeyPackage package = TestMls.DecodeKeyPackage(mallory.Device.NewKeyPackage());

        using var add = await channel.SendAsync(subscriber,
            TestMls.Commit(channel.Id, channel.Epoch, channel.Leaves[subscriber.Id], new Add(package)), TestMls.Welcome(package));
        using var remove = await channel.SendAsync(subscriber,
            TestMls.Commit(channel.Id, channel.Epoch, channel.Leaves[subscriber.Id], new Remove(new LeafIndex(0))));
        using var proposal = await channel.SendAsync(subscriber, new MlsMessage(
            TestMls.ProposalMessage(channel.Id, channel.Epoch, channel.Leaves[subscriber.Id], new Remove(new LeafIndex(0)))).ToBytes());

        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(add)));
        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(remove)));
        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(proposal)));
        Assert.Empty(await TestMailbox.ReadAsync(mallory.Device));
        Assert.Equal(channel.Epoch, (await channel.GetAsync(alice.Device)).Epoch);
    }

    [Fact]
    public async Task A_subscriber_may_commit_an_update_and_propose_to_leave()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice subscriber = await SubscribeAsync(alice.Device, channel);
        uint leaf = channel.Leaves[subscriber.Id];

        using var empty = await channel.SendAsync(subscriber, TestMls.Commit(channel.Id, channel.Epoch, leaf));
        await TestHttp.EnsureAsync(empty);
        channel.Epoch++;
        PublicMessage leave = TestMls.ProposalMessage(channel.Id, channel.Epoch, leaf, new Remove(new LeafIndex(leaf)));
        using var proposed = await channel.SendAsync(subscriber, new MlsMessage(leave).ToBytes());
        await TestHttp.EnsureAsync(proposed);
        byte[] commit = new MlsMessage(TestMls.CommitMessage(channel.Id, channel.Epoch, Sender.Member(new LeafIndex(0)),
            new Commit([new ProposalOrRef(channel.LastSentRef())], null))).ToBytes();
        using var committed = await channel.SendAsync(alice.Device, commit);
        await TestHttp.EnsureAsync(committed);

        Assert.Equal(0, (await InfoAsync(alice.Device, channel)).Subscribers);
    }

    [Fact]
    public async Task An_admin_added_by_a_group_context_extensions_commit_may_then_post()
    {
        var (alice, channel) = await ChannelAsync();
        TestUser bob = await TestUser.RegisterAsync(_server);
        await bob.Device.UploadKeyPackagesAsync(1);
        await channel.AddAsync(alice.Device, bob);
        using var before = await channel.SendAsync(bob.Device, TestMls.Application(channel.Id, channel.Epoch));
        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(before)));
        Assert.Equal(1, (await InfoAsync(alice.Device, channel)).Subscribers);

        using var promoted = await channel.SendAsync(alice.Device, AdminsCommit(channel, 0, alice.Username, bob.Username));
        await TestHttp.EnsureAsync(promoted);
        channel.Epoch++;
        using var after = await channel.SendAsync(bob.Device, TestMls.Application(channel.Id, channel.Epoch), id: "from-bob");

        await TestHttp.EnsureAsync(after);
        Assert.Contains(await TestMailbox.ReadAsync(alice.Device), m => m.Id == "from-bob");
        ChannelResponse info = await InfoAsync(bob.Device, channel);
        Assert.Equal([alice.Username, bob.Username], info.Admins);
        Assert.Equal(0, info.Subscribers);
    }

    [Fact]
    public async Task A_channel_extension_that_is_dropped_or_names_an_unknown_account_is_refused()
    {
        var (alice, channel) = await ChannelAsync();

        using var dropped = await channel.SendAsync(alice.Device,
            TestMls.Commit(channel.Id, channel.Epoch, 0, new GroupContextExtensions([])));
        using var unknown = await channel.SendAsync(alice.Device, AdminsCommit(channel, 0, alice.Username, "nobody-here"));
        using var garbled = await channel.SendAsync(alice.Device,
            TestMls.Commit(channel.Id, channel.Epoch, 0, new GroupContextExtensions([new Extension(ChannelExtension.Type, [9, 9])])));

        Assert.Equal((422, "invalid_channel_extension"), Short(await TestHttp.ProblemAsync(dropped)));
        Assert.Equal((422, "invalid_channel_extension"), Short(await TestHttp.ProblemAsync(unknown)));
        Assert.Equal((422, "invalid_channel_extension"), Short(await TestHttp.ProblemAsync(garbled)));
        Assert.Equal([alice.Username], (await InfoAsync(alice.Device, channel)).Admins);
    }

    [Fact]
    public async Task A_subscriber_joining_through_an_invite_gets_the_welcome_in_its_anonymous_queue_and_no_device_is_named()
    {
        var (alice, channel) = await ChannelAsync();
        TestUser carol = await TestUser.RegisterAsync(_server);
        TestDevice queue = TestDevice.Queue(_server, carol);
        string token = await InviteAsync(alice.Device, channel);
        var (package, packageBytes) = AnonymousKeyPackage(queue.SignatureKey);

        using var joined = await RequestJoinAsync(queue, token, packageBytes);
        Assert.Equal(HttpStatusCode.Accepted, joined.StatusCode);
        var request = (await joined.Content.ReadFromJsonAsync<JoinRequestResponse>(TestHttp.Json))!;
        Assert.Equal(("pending", channel.IdText), (request.Status, request.GroupId));
        Assert.Equal("pending", (await StatusAsync(queue, request.RequestId)).Status);

        // The admin sees only the key package, whose credential is a pseudonym of a fresh key, and an expiry to the hour.
        PendingJoinRequestEntry pending = Assert.Single((await RequestsAsync(alice.Device, channel)).Requests);
        KeyPackage listed = TestMls.DecodeKeyPackage(pending.KeyPackage);
        string identity = Encoding.ASCII.GetString(listed.LeafNode.Credential.Identity!);
        Assert.StartsWith("anon:", identity, StringComparison.Ordinal);
        Assert.DoesNotContain(carol.Device.Id, identity, StringComparison.Ordinal);
        Assert.DoesNotContain(carol.Username, identity, StringComparison.Ordinal);
        Assert.Equal(0, pending.ExpiresAt.ToUnixTimeSeconds() % 3600);

        await AddRequestedAsync(alice.Device, channel, listed);

        // The Welcome waits in the queue; the answered request is gone.
        var welcome = Assert.Single(await TestMailbox.ReadAsync(queue));
        Assert.Equal(WireFormat.MlsWelcome, TestMailbox.WireFormatOf(welcome));
        using var answered = await queue.Client.GetAsync($"/v1/join-requests/{request.RequestId}");
        Assert.Equal((404, "join_request_not_found"), Short(await TestHttp.ProblemAsync(answered)));
        Assert.Empty((await RequestsAsync(alice.Device, channel)).Requests);
        // The server maps the pseudonymous leaf to the queue: posts reach it, and Carol's device is in no roster and gets nothing.
        using var post = await channel.SendAsync(alice.Device, TestMls.Application(channel.Id, channel.Epoch), id: "hello-subscribers");
        await TestHttp.EnsureAsync(post);
        Assert.Contains(await TestMailbox.ReadAsync(queue), m => m.Id == "hello-subscribers");
        Assert.Empty(await TestMailbox.ReadAsync(carol.Device));
        using var notMember = await carol.Device.Client.GetAsync($"/v1/groups/{channel.IdText}");
        Assert.Equal(HttpStatusCode.NotFound, notMember.StatusCode);
        // Members never see a subscriber's queue in the roster.
        Assert.DoesNotContain((await channel.GetAsync(alice.Device)).Members, m => m.DeviceId == queue.Id || m.DeviceId == carol.Device.Id);
        Assert.Equal(1, (await InfoAsync(alice.Device, channel)).Subscribers);
        Assert.Equal(1, (await InfoAsync(queue, channel)).Subscribers);
        Assert.Equal(package.Ref(TestMls.Suite), listed.Ref(TestMls.Suite));
    }

    [Fact]
    public async Task A_subscriber_queue_on_a_socket_of_its_own_gets_its_welcome_and_posts_pushed_and_a_bad_queue_credential_is_refused()
    {
        var (alice, channel) = await ChannelAsync();
        TestUser carol = await TestUser.RegisterAsync(_server);
        TestDevice queue = TestDevice.Queue(_server, carol);
        string token = await InviteAsync(alice.Device, channel);
        var (_, packageBytes) = AnonymousKeyPackage(queue.SignatureKey);
        using (var joined = await RequestJoinAsync(queue, token, packageBytes))
        {
            Assert.Equal(HttpStatusCode.Accepted, joined.StatusCode);
        }
        using var socket = await TestSockets.ConnectAsync(_server, queue);
        using var carolsSocket = await TestSockets.ConnectAsync(_server, carol.Device);

        // The admin's Add: the Welcome is pushed to the queue's socket as it is stored.
        PendingJoinRequestEntry pending = Assert.Single((await RequestsAsync(alice.Device, channel)).Requests);
        await AddRequestedAsync(alice.Device, channel, TestMls.DecodeKeyPackage(pending.KeyPackage));
        var welcome = await TestSockets.ReceiveMessageAsync(socket);
        Assert.Equal(WireFormat.MlsWelcome, TestMailbox.WireFormatOf(welcome));
        await TestSockets.AckAsync(socket, welcome.Id);

        // A post after it, live; acknowledged on the socket, it leaves the queue's mailbox.
        using (var post = await channel.SendAsync(alice.Device, TestMls.Application(channel.Id, channel.Epoch), id: "pushed-to-the-queue"))
        {
            await TestHttp.EnsureAsync(post);
        }
        Assert.Equal("pushed-to-the-queue", (await TestSockets.ReceiveMessageAsync(socket)).Id);
        await TestSockets.AckAsync(socket, "pushed-to-the-queue");
        for (int i = 0; i < 50 && (await TestMailbox.ReadAsync(queue)).Count > 0; i++)
        {
            await Task.Delay(100);
        }
        Assert.Empty(await TestMailbox.ReadAsync(queue));
        // Carol's device, connected beside it, is sent nothing of the channel.
        Assert.Empty(await TestMailbox.ReadAsync(carol.Device));

        // A queue credential that is not 32 bytes of base64url opens nothing.
        var client = _server.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = "Queue not-a-queue-token";
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(new Uri(_server.Server.BaseAddress, "/v1/ws"), CancellationToken.None));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_queue_cannot_act_as_a_device_and_a_device_cannot_ask_to_join()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice queue = await SubscribeAsync(alice.Device, channel);
        string token = await InviteAsync(alice.Device, channel);

        using var keyPackages = await queue.Client.GetAsync("/v1/keypackages/count");
        using var invite = await queue.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites", new { approval = false });
        using var roster = await queue.Client.GetAsync($"/v1/groups/{channel.IdText}");
        using var byDevice = await RequestJoinAsync(alice.Device, token, AnonymousKeyPackage().Message);
        using var joinByDevice = await alice.Device.Client.PostAsJsonAsync($"/v1/invites/{token}/join", new { id = "x", message = new byte[] { 1 } });
        using var malformed = TestHttp.Authenticated(_server, "x");
        malformed.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Queue", "not-a-token");
        using var badQueue = await malformed.GetAsync("/v1/mailbox");

        Assert.Equal(HttpStatusCode.Forbidden, keyPackages.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, roster.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byDevice.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, joinByDevice.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badQueue.StatusCode);
        Assert.Empty((await RequestsAsync(alice.Device, channel)).Requests);
    }

    [Fact]
    public async Task A_subscriber_who_joined_before_queues_moves_its_leaf_to_a_queue()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice first = await SubscribeAsync(alice.Device, channel);
        TestDevice device = first.User.Device;
        // As an earlier server left it: the pseudonymous leaf mapped to the subscriber's device.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(
                   $"Data Source={Path.Combine(_server.DataDirectory, Parley.Server.Storage.Sqlite.SqliteDatabase.FileName)};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE group_members SET device_id = $d WHERE device_id = $q";
            update.Parameters.AddWithValue("$d", device.Id);
            update.Parameters.AddWithValue("$q", first.Id);
            Assert.Equal(1, update.ExecuteNonQuery());
        }
        TestDevice queue = TestDevice.Queue(_server, first.User);
        byte[] token = System.Buffers.Text.Base64Url.DecodeFromChars(queue.Credential);
        TestUser stranger = await TestUser.RegisterAsync(_server);
        string url = $"/v1/channels/{channel.IdText}/queue";

        using var badToken = await device.Client.PostAsJsonAsync(url, new { queueToken = new byte[5] });
        using var byAdmin = await alice.Device.Client.PostAsJsonAsync(url, new { queueToken = token });
        using var byStranger = await stranger.Device.Client.PostAsJsonAsync(url, new { queueToken = token });
        using var moved = await device.Client.PostAsJsonAsync(url, new { queueToken = token });
        using var again = await device.Client.PostAsJsonAsync(url, new { queueToken = token });

        Assert.Equal((400, "invalid_queue_token"), Short(await TestHttp.ProblemAsync(badToken)));
        Assert.Equal((409, "admin_keeps_device"), Short(await TestHttp.ProblemAsync(byAdmin)));
        Assert.Equal((404, "channel_not_found"), Short(await TestHttp.ProblemAsync(byStranger)));
        Assert.Equal(HttpStatusCode.NoContent, moved.StatusCode);
        Assert.Equal((404, "channel_not_found"), Short(await TestHttp.ProblemAsync(again)));
        // Posts now reach the queue and not the device, which is in the channel no more.
        using var post = await channel.SendAsync(alice.Device, TestMls.Application(channel.Id, channel.Epoch), id: "after-the-move");
        await TestHttp.EnsureAsync(post);
        Assert.Contains(await TestMailbox.ReadAsync(queue), m => m.Id == "after-the-move");
        Assert.DoesNotContain(await TestMailbox.ReadAsync(device), m => m.Id == "after-the-move");
        Assert.Equal(1, (await InfoAsync(queue, channel)).Subscribers);
    }

    [Fact]
    public async Task Subscribers_do_not_see_each_other_and_admins_see_no_subscriber_queue()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice first = await SubscribeAsync(alice.Device, channel);
        TestDevice second = await SubscribeAsync(alice.Device, channel);

        GroupResponse seenByAdmin = await channel.GetAsync(alice.Device);

        Assert.Equal([alice.Device.Id], seenByAdmin.Members.Select(m => m.DeviceId));
        Assert.Equal(2, (await InfoAsync(first, channel)).Subscribers);
        Assert.Equal(2, (await InfoAsync(second, channel)).Subscribers);
    }

    [Fact]
    public async Task A_pseudonymous_key_package_without_a_join_request_cannot_be_added()
    {
        var (alice, channel) = await ChannelAsync();
        var (package, _) = AnonymousKeyPackage();

        using var response = await channel.SendAsync(alice.Device, TestMls.Commit(channel.Id, channel.Epoch, 0, new Add(package)),
            TestMls.Welcome(package));

        Assert.Equal((422, "invalid_commit"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_join_request_must_carry_a_pseudonymous_key_package_of_a_fresh_key()
    {
        var (alice, channel) = await ChannelAsync();
        TestUser carol = await TestUser.RegisterAsync(_server);
        TestDevice queue = TestDevice.Queue(_server, carol);
        string token = await InviteAsync(alice.Device, channel);
        string deviceAnonymous = "anon:" + Convert.ToHexStringLower(SHA256.HashData(carol.Device.SignatureKey.PublicKey)[..16]);

        using var named = await RequestJoinAsync(queue, token, carol.Device.NewKeyPackage());
        using var ownKey = await RequestJoinAsync(queue, token,
            new MlsMessage(TestMls.KeyPackageRecord(deviceAnonymous, carol.Device.SignatureKey)).ToBytes());
        using var garbage = await RequestJoinAsync(queue, token, [1, 2, 3]);

        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(named)));
        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(ownKey)));
        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(garbage)));
        Assert.Empty((await RequestsAsync(alice.Device, channel)).Requests);
    }

    [Fact]
    public async Task A_revoked_invite_is_not_found_and_an_expired_one_is_gone()
    {
        var (alice, channel) = await ChannelAsync();
        TestUser carol = await TestUser.RegisterAsync(_server);
        using var created = await alice.Device.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites",
            new { expiresAt = (DateTimeOffset?)null, approval = false });
        var revocable = (await created.Content.ReadFromJsonAsync<InviteCreatedResponse>(TestHttp.Json))!;
        string expiring = await InviteAsync(alice.Device, channel, expiresAt: _server.Time.GetUtcNow() + TimeSpan.FromHours(1));

        using var revoked = await alice.Device.Client.DeleteAsync($"/v1/channels/{channel.IdText}/invites/{revocable.InviteId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        _server.Time.Advance(TimeSpan.FromHours(2));

        TestDevice queue = TestDevice.Queue(_server, carol);
        using var throughRevoked = await RequestJoinAsync(queue, revocable.Token, AnonymousKeyPackage().Message);
        using var throughExpired = await RequestJoinAsync(queue, expiring, AnonymousKeyPackage().Message);
        using var unknown = await RequestJoinAsync(queue, InviteToken.New(), AnonymousKeyPackage().Message);
        Assert.Equal((404, "invite_not_found"), Short(await TestHttp.ProblemAsync(throughRevoked)));
        Assert.Equal((410, "invite_expired"), Short(await TestHttp.ProblemAsync(throughExpired)));
        Assert.Equal((404, "invite_not_found"), Short(await TestHttp.ProblemAsync(unknown)));
        var invites = await alice.Device.Client.GetFromJsonAsync<InviteListResponse>($"/v1/channels/{channel.IdText}/invites", TestHttp.Json);
        Assert.True(Assert.Single(invites!.Invites).Expired);
        Assert.Empty((await RequestsAsync(alice.Device, channel)).Requests);
    }

    [Fact]
    public async Task Only_admins_manage_invites_and_requests_and_an_invite_cannot_expire_in_the_past()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice subscriber = await SubscribeAsync(alice.Device, channel);
        TestUser stranger = await TestUser.RegisterAsync(_server);

        using var bySubscriber = await subscriber.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites", new { approval = false });
        using var byStranger = await stranger.Device.Client.GetAsync($"/v1/channels/{channel.IdText}/requests");
        using var past = await alice.Device.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites",
            new { expiresAt = _server.Time.GetUtcNow() - TimeSpan.FromMinutes(1), approval = false });

        Assert.Equal(HttpStatusCode.Forbidden, bySubscriber.StatusCode);
        Assert.Equal((404, "channel_not_found"), Short(await TestHttp.ProblemAsync(byStranger)));
        Assert.Equal((400, "invalid_expiry"), Short(await TestHttp.ProblemAsync(past)));
    }

    [Fact]
    public async Task An_approval_invite_stays_pending_until_an_admin_commits_and_answered_requests_are_deleted()
    {
        var (alice, channel) = await ChannelAsync();
        TestUser carol = await TestUser.RegisterAsync(_server), dave = await TestUser.RegisterAsync(_server);
        TestDevice carolQueue = TestDevice.Queue(_server, carol), daveQueue = TestDevice.Queue(_server, dave);
        string token = await InviteAsync(alice.Device, channel, approval: true);
        var (carolPackage, carolBytes) = AnonymousKeyPackage();
        using var carolJoin = await RequestJoinAsync(carolQueue, token, carolBytes);
        using var daveJoin = await RequestJoinAsync(daveQueue, token, AnonymousKeyPackage().Message);
        string carolRequest = (await carolJoin.Content.ReadFromJsonAsync<JoinRequestResponse>(TestHttp.Json))!.RequestId;
        string daveRequest = (await daveJoin.Content.ReadFromJsonAsync<JoinRequestResponse>(TestHttp.Json))!.RequestId;

        var pending = (await RequestsAsync(alice.Device, channel)).Requests;
        Assert.Equal(2, pending.Count);
        Assert.All(pending, r => Assert.True(r.Approval));
        Assert.Equal("pending", (await StatusAsync(carolQueue, carolRequest)).Status);
        Assert.Empty(await TestMailbox.ReadAsync(carolQueue));
        // Only the requesting queue can see its request.
        using var peek = await daveQueue.Client.GetAsync($"/v1/join-requests/{carolRequest}");
        Assert.Equal((404, "join_request_not_found"), Short(await TestHttp.ProblemAsync(peek)));

        await AddRequestedAsync(alice.Device, channel, carolPackage);
        using var denied = await alice.Device.Client.DeleteAsync($"/v1/channels/{channel.IdText}/requests/{daveRequest}");
        Assert.Equal(HttpStatusCode.NoContent, denied.StatusCode);

        // Both requests are gone; Carol's answer is the Welcome in her queue, Dave's queue stays empty.
        foreach (var (queue, id) in new[] { (carolQueue, carolRequest), (daveQueue, daveRequest) })
        {
            using var answered = await queue.Client.GetAsync($"/v1/join-requests/{id}");
            Assert.Equal((404, "join_request_not_found"), Short(await TestHttp.ProblemAsync(answered)));
        }
        Assert.Equal(WireFormat.MlsWelcome, TestMailbox.WireFormatOf(Assert.Single(await TestMailbox.ReadAsync(carolQueue))));
        Assert.Empty(await TestMailbox.ReadAsync(daveQueue));
        Assert.Empty((await RequestsAsync(alice.Device, channel)).Requests);
        using var again = await alice.Device.Client.DeleteAsync($"/v1/channels/{channel.IdText}/requests/{daveRequest}");
        Assert.Equal((404, "join_request_not_found"), Short(await TestHttp.ProblemAsync(again)));
    }

    [Fact]
    public async Task A_members_view_tokens_count_once_per_token_and_strangers_cannot_count()
    {
        var (alice, channel) = await ChannelAsync();
        TestDevice first = await SubscribeAsync(alice.Device, channel);
        TestDevice second = await SubscribeAsync(alice.Device, channel);
        TestUser stranger = await TestUser.RegisterAsync(_server);
        string url = $"/v1/channels/{channel.IdText}/posts/post-1/views";
        byte[] firstToken = RandomNumberGenerator.GetBytes(32), secondToken = RandomNumberGenerator.GetBytes(32);

        foreach (var (device, token) in new[] { (first, firstToken), (first, firstToken), (second, secondToken) })
        {
            using var viewed = await device.Client.PostAsJsonAsync(url, new { token });
            Assert.Equal(HttpStatusCode.NoContent, viewed.StatusCode);
        }
        using var fromStranger = await stranger.Device.Client.PostAsJsonAsync(url, new { token = RandomNumberGenerator.GetBytes(32) });
        using var shortToken = await first.Client.PostAsJsonAsync(url, new { token = new byte[5] });

        Assert.Equal((404, "channel_not_found"), Short(await TestHttp.ProblemAsync(fromStranger)));
        Assert.Equal((400, "invalid_view_token"), Short(await TestHttp.ProblemAsync(shortToken)));
        Assert.Equal(2, (await alice.Device.Client.GetFromJsonAsync<ViewCountResponse>(url, TestHttp.Json))!.Views);
        Assert.Equal(0, (await alice.Device.Client.GetFromJsonAsync<ViewCountResponse>(
            $"/v1/channels/{channel.IdText}/posts/post-2/views", TestHttp.Json))!.Views);
    }

    [Fact]
    public async Task Only_a_group_of_the_callers_own_devices_becomes_a_channel_and_only_once()
    {
        TestUser alice = await TestUser.RegisterAsync(_server), bob = await TestUser.RegisterAsync(_server);
        await bob.Device.UploadKeyPackagesAsync(1);
        TestGroup conversation = await TestGroup.CreateAsync(alice.Device);
        await conversation.AddAsync(alice.Device, bob);
        var (_, channel) = await ChannelAsync(alice);

        using var shared = await alice.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = conversation.IdText });
        using var twice = await alice.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = channel.IdText });
        using var foreign = await bob.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = channel.IdText });
        using var malformed = await bob.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = "!" });

        Assert.Equal((409, "group_has_other_members"), Short(await TestHttp.ProblemAsync(shared)));
        Assert.Equal((409, "channel_exists"), Short(await TestHttp.ProblemAsync(twice)));
        Assert.Equal((404, "group_not_found"), Short(await TestHttp.ProblemAsync(foreign)));
        Assert.Equal((400, "invalid_group_id"), Short(await TestHttp.ProblemAsync(malformed)));
        // The conversation is still an ordinary group: Bob may post in it.
        using var post = await conversation.SendAsync(bob.Device, TestMls.Application(conversation.Id, conversation.Epoch));
        await TestHttp.EnsureAsync(post);
    }

    private async Task<(TestUser Admin, TestGroup Channel)> ChannelAsync(TestUser? admin = null)
    {
        admin ??= await TestUser.RegisterAsync(_server);
        TestGroup group = await TestGroup.CreateAsync(admin.Device);
        using var response = await admin.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = group.IdText });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<ChannelResponse>(TestHttp.Json))!;
        Assert.Equal([admin.Username], created.Admins);
        Assert.Equal(0, created.Subscribers);
        return (admin, group);
    }

    /// <summary>A new account subscribes through a fresh invite from an anonymous queue; the admin's device commits its Add with a
    /// Welcome. Returns the queue, which the subscriber's leaf acts through.</summary>
    private async Task<TestDevice> SubscribeAsync(TestDevice admin, TestGroup channel)
    {
        TestUser subscriber = await TestUser.RegisterAsync(_server);
        TestDevice queue = TestDevice.Queue(_server, subscriber);
        string token = await InviteAsync(admin, channel);
        var (package, bytes) = AnonymousKeyPackage(queue.SignatureKey);
        using var joined = await RequestJoinAsync(queue, token, bytes);
        Assert.Equal(HttpStatusCode.Accepted, joined.StatusCode);
        uint leaf = await AddRequestedAsync(admin, channel, package);
        channel.Leaves[queue.Id] = leaf;
        // The subscriber's leaf signs with its pseudonym's key, as its client does.
        channel.Pseudonyms[queue.Id] = queue.SignatureKey;
        return queue;
    }

    /// <summary>The admin's commit adding a requested key package (with its Welcome); returns the leaf it took.</summary>
    private static async Task<uint> AddRequestedAsync(TestDevice admin, TestGroup channel, KeyPackage package)
    {
        using var response = await channel.SendAsync(admin, TestMls.Commit(channel.Id, channel.Epoch, channel.Leaves[admin.Id], new Add(package)),
            TestMls.Welcome(package));
        await TestHttp.EnsureAsync(response);
        channel.Epoch++;
        uint leaf = 0;
        while (channel.Leaves.ContainsValue(leaf))
        {
            leaf++;
        }
        return leaf;
    }

    private static async Task<string> InviteAsync(TestDevice admin, TestGroup channel, bool approval = false, DateTimeOffset? expiresAt = null)
    {
        using var response = await admin.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites", new { expiresAt, approval });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var invite = (await response.Content.ReadFromJsonAsync<InviteCreatedResponse>(TestHttp.Json))!;
        Assert.Equal(approval, invite.Approval);
        return invite.Token;
    }

    private static Task<HttpResponseMessage> RequestJoinAsync(TestDevice queue, string token, byte[] keyPackage)
        => queue.Client.PostAsJsonAsync($"/v1/invites/{token}/requests", new { keyPackage });

    private static async Task<JoinRequestListResponse> RequestsAsync(TestDevice admin, TestGroup channel)
        => (await admin.Client.GetFromJsonAsync<JoinRequestListResponse>($"/v1/channels/{channel.IdText}/requests", TestHttp.Json))!;

    private static async Task<JoinRequestResponse> StatusAsync(TestDevice device, string requestId)
        => (await device.Client.GetFromJsonAsync<JoinRequestResponse>($"/v1/join-requests/{requestId}", TestHttp.Json))!;

    private static async Task<ChannelResponse> InfoAsync(TestDevice member, TestGroup channel)
        => (await member.Client.GetFromJsonAsync<ChannelResponse>($"/v1/channels/{channel.IdText}", TestHttp.Json))!;

    /// <summary>A subscriber's key package: a fresh signature key and the "anon:" pseudonym of it.</summary>
    private static (KeyPackage Package, byte[] Message) AnonymousKeyPackage() => AnonymousKeyPackage(TestMls.Suite.GenerateSignatureKeyPair());

    private static (KeyPackage Package, byte[] Message) AnonymousKeyPackage(SignatureKeyPair key)
    {
        KeyPackage package = TestMls.KeyPackageRecord(Encoding.ASCII.GetString(PseudonymousCredential.IdentityFor(key.PublicKey)), key);
        return (package, new MlsMessage(package).ToBytes());
    }

    /// <summary>A commit setting the channel's admins through its parley_channel extension.</summary>
    private static byte[] AdminsCommit(TestGroup channel, uint committer, params string[] admins)
        => TestMls.Commit(channel.Id, channel.Epoch, committer,
            new GroupContextExtensions([new Extension(ChannelExtension.Type, new ChannelExtension("news", admins).Encode())]));

    private static async Task DrainAsync(params TestDevice[] devices)
    {
        foreach (TestDevice device in devices)
        {
            foreach (var entry in await TestMailbox.ReadAsync(device))
            {
                await TestMailbox.AckAsync(device, entry.Id);
            }
        }
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement Body) problem) => (problem.Status, problem.Code);
}
