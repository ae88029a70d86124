using System.Security.Cryptography;
using System.Text;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.PublicChannels;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>The contract of the private and public channel stores, and of the channel rules as the group stores apply
/// them, written against the store interfaces only and run once per engine.</summary>
public abstract class ChannelStoreContractTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private StoreEngine? _engine;

    protected StoreEngine Engine => _engine!;

    private IChannelStore Channels => Engine.Get<IChannelStore>();

    private IPublicChannelStore PublicChannels => Engine.Get<IPublicChannelStore>();

    private DateTimeOffset Now => Engine.Clock.GetUtcNow();

    protected abstract Task<StoreEngine> OpenAsync();

    /// <summary>Every row of every table the engine keeps, as text (binary columns as lowercase hex).</summary>
    protected abstract Task<IReadOnlyList<string>> RowsAsync();

    public async Task InitializeAsync() => _engine = await OpenAsync();

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task Only_a_member_registers_a_group_of_its_own_accounts_devices_as_a_channel_once()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        StoreDevice alicePhone = await Engine.AddDeviceAsync(alice.Account);
        GroupId own = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(own, alice, 0, 0, alicePhone));
        GroupId shared = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(shared, alice, 0, 0, bob));

        Assert.Equal(RegisterChannelOutcome.NotMember, await Channels.RegisterAsync(own, bob.Id, bob.Account, None));
        Assert.Equal(RegisterChannelOutcome.OtherMembers, await Channels.RegisterAsync(shared, alice.Id, alice.Account, None));
        Assert.Equal(RegisterChannelOutcome.Registered, await Channels.RegisterAsync(own, alice.Id, alice.Account, None));
        Assert.Equal(RegisterChannelOutcome.AlreadyChannel, await Channels.RegisterAsync(own, alicePhone.Id, alice.Account, None));

        ChannelInfo info = (await Channels.FindAsync(own, None))!;
        Assert.Equal([alice.Account], info.AdminAccounts);
        Assert.Equal(0, info.Subscribers);
        Assert.Equal([alice.Account], await Channels.AdminsAsync(own, None));
        Assert.Equal(new HashSet<DeviceId> { alice.Id, alicePhone.Id }, (await Channels.AdminDevicesAsync(own, None))!.ToHashSet());
        Assert.Null(await Channels.FindAsync(shared, None));
        Assert.Null(await Channels.AdminsAsync(shared, None));
        Assert.Null(await Channels.AdminDevicesAsync(shared, None));
    }

    [Fact]
    public async Task A_channel_refuses_non_admin_posts_and_takes_its_admin_set_from_accepted_commits()
    {
        var (alice, channel) = await ChannelAsync("alice");
        StoreDevice bob = await Engine.RegisterAsync("bob");
        StoreFixtures.Accepted(await Engine.AddMembersAsync(channel, alice, 0, 0, bob));
        Assert.Equal(1, (await Channels.FindAsync(channel, None))!.Subscribers);

        var refused = Assert.IsType<SubmissionOutcome.Rejected>(await Engine.Groups.SubmitAsync(Engine.Application(channel, bob, 1), None));
        Assert.Equal(RejectionReason.NotChannelAdmin, refused.Reason);
        var unknown = Assert.IsType<SubmissionOutcome.Rejected>(await Engine.Groups.SubmitAsync(
            Engine.Commit(channel, alice, AdminsCommit(channel, 1, "alice", "nobody")), None));
        Assert.Equal(RejectionReason.InvalidChannelExtension, unknown.Reason);

        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Commit(channel, alice, AdminsCommit(channel, 1, "bob", "alice")), None));

        ChannelInfo info = (await Channels.FindAsync(channel, None))!;
        Assert.Equal(["bob", "alice"], info.Admins);
        Assert.Equal(0, info.Subscribers);
        var posted = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(channel, bob, 2), None));
        Assert.Equal([alice.Id], posted.Recipients);
    }

    [Fact]
    public async Task A_join_request_maps_the_added_pseudonymous_leaf_to_its_queue_and_is_deleted_by_that_commit()
    {
        var (alice, channel) = await ChannelAsync();
        DeviceId carol = NewQueue();
        byte[] token = await InviteAsync(channel, approval: true);
        var (package, request) = JoinRequestFor(channel, carol);

        var (outcome, stored) = await Channels.CreateJoinRequestAsync(request, token, Now, 10, None);
        Assert.Equal(JoinRequestOutcome.Created, outcome);
        Assert.True(stored!.Approval);
        JoinRequest pending = Assert.Single(await Channels.ListPendingRequestsAsync(channel, Now, 10, None));
        Assert.Equal((request.RequestId, carol), (pending.RequestId, pending.Queue));
        Assert.Equal(request.KeyPackage, pending.KeyPackage);

        byte[] commit = TestMls.Commit(StoreFixtures.Bytes(channel), 0, 0, new Add(package));
        var added = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(
            Engine.Commit(channel, alice, commit, TestMls.Welcome(package)), None));

        // The Welcome went into the queue's mailbox, and the answered request is gone.
        Assert.Equal([carol], added.Recipients);
        Assert.Single(await Engine.Mailboxes.ReadAsync(carol, 0, 10, Now, None));
        Assert.Equal(carol, (await Engine.Groups.FindAsync(channel, None))!.Members[1]);
        Assert.True(await Channels.IsMemberAsync(channel, carol, None));
        Assert.Null(await Channels.FindRequestAsync(request.RequestId, Now, None));
        Assert.Empty(await Channels.ListPendingRequestsAsync(channel, Now, 10, None));
        // A post reaches the queue.
        var posted = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(channel, alice, 1), None));
        Assert.Equal([carol], posted.Recipients);
        Assert.Equal(1, (await Channels.FindAsync(channel, None))!.Subscribers);
        // The same key package cannot be added twice, and one without a request not at all.
        var (stray, _) = JoinRequestFor(channel, NewQueue());
        var rejected = Assert.IsType<SubmissionOutcome.Rejected>(await Engine.Groups.SubmitAsync(
            Engine.Commit(channel, alice, TestMls.Commit(StoreFixtures.Bytes(channel), 1, 0, new Add(stray))), None));
        Assert.Equal(RejectionReason.InvalidCommit, rejected.Reason);
    }

    [Fact]
    public async Task Join_requests_are_refused_through_gone_or_expired_invites_for_members_and_over_the_limit()
    {
        var (alice, channel) = await ChannelAsync();
        DeviceId carol = NewQueue(), dave = NewQueue();
        byte[] token = await InviteAsync(channel, expiresAt: Now + TimeSpan.FromHours(1));
        var (_, request) = JoinRequestFor(channel, carol);

        Assert.Equal(JoinRequestOutcome.Created, (await Channels.CreateJoinRequestAsync(request, token, Now, 1, None)).Outcome);
        var (repeated, earlier) = await Channels.CreateJoinRequestAsync(request with { RequestId = InviteToken.NewId() }, token, Now, 1, None);
        Assert.Equal((JoinRequestOutcome.Repeated, request.RequestId), (repeated, earlier!.RequestId));
        Assert.Equal(JoinRequestOutcome.KeyPackageTaken,
            (await Channels.CreateJoinRequestAsync(request with { RequestId = InviteToken.NewId(), Queue = dave }, token, Now, 1, None)).Outcome);
        Assert.Equal(JoinRequestOutcome.TooManyPending,
            (await Channels.CreateJoinRequestAsync(JoinRequestFor(channel, dave).Request, token, Now, 1, None)).Outcome);
        Assert.Equal(JoinRequestOutcome.AlreadyMember,
            (await Channels.CreateJoinRequestAsync(JoinRequestFor(channel, alice.Id).Request, token, Now, 10, None)).Outcome);
        Assert.Equal(JoinRequestOutcome.InviteExpired,
            (await Channels.CreateJoinRequestAsync(JoinRequestFor(channel, dave).Request, token, Now + TimeSpan.FromHours(2), 10, None)).Outcome);
        Assert.Equal(JoinRequestOutcome.InviteNotFound,
            (await Channels.CreateJoinRequestAsync(JoinRequestFor(channel, dave).Request, SHA256.HashData([1]), Now, 10, None)).Outcome);
    }

    [Fact]
    public async Task Revoking_an_invite_deletes_its_pending_requests_and_expired_rows_are_swept()
    {
        var (_, channel) = await ChannelAsync();
        DeviceId carol = NewQueue(), dave = NewQueue();
        byte[] revocable = await InviteAsync(channel);
        byte[] expiring = await InviteAsync(channel, expiresAt: Now + TimeSpan.FromHours(1));
        var (_, carolRequest) = JoinRequestFor(channel, carol);
        var (_, daveRequest) = JoinRequestFor(channel, dave);
        await Channels.CreateJoinRequestAsync(carolRequest, revocable, Now, 10, None);
        await Channels.CreateJoinRequestAsync(daveRequest, expiring, Now, 10, None);
        ChannelInvite invite = (await Channels.FindInviteAsync(revocable, None))!;
        Assert.Equal((channel, (ushort)1), (invite.Group, invite.CipherSuite));
        Assert.Equal(2, (await Channels.ListInvitesAsync(channel, None)).Count);

        Assert.False(await Channels.RevokeInviteAsync(channel, InviteToken.NewId(), None));
        Assert.True(await Channels.RevokeInviteAsync(channel, invite.InviteId, None));

        Assert.Null(await Channels.FindInviteAsync(revocable, None));
        Assert.Null(await Channels.FindRequestAsync(carolRequest.RequestId, Now, None));
        Assert.NotNull(await Channels.FindRequestAsync(daveRequest.RequestId, Now, None));
        Assert.Equal(0, await Channels.DeleteExpiredAsync(Now, TimeSpan.FromDays(1), None));
        DateTimeOffset later = Now + TimeSpan.FromDays(40);
        Assert.Equal(2, await Channels.DeleteExpiredAsync(later, TimeSpan.FromDays(1), None));
        Assert.Null(await Channels.FindRequestAsync(daveRequest.RequestId, Now, None));
        // Denying deletes: a second denial finds nothing.
        var (_, erinRequest) = JoinRequestFor(channel, NewQueue());
        byte[] open = await InviteAsync(channel);
        await Channels.CreateJoinRequestAsync(erinRequest, open, Now, 10, None);
        Assert.True(await Channels.DenyRequestAsync(channel, erinRequest.RequestId, None));
        Assert.False(await Channels.DenyRequestAsync(channel, erinRequest.RequestId, None));
        Assert.Null(await Channels.FindRequestAsync(erinRequest.RequestId, Now, None));
        Assert.Single(await Channels.ListInvitesAsync(channel, None));
    }

    [Fact]
    public async Task A_members_leaf_moves_to_a_queue_that_then_gets_its_copies()
    {
        var (alice, channel) = await ChannelAsync();
        StoreDevice bob = await Engine.RegisterAsync();
        StoreFixtures.Accepted(await Engine.AddMembersAsync(channel, alice, 0, 0, bob));
        DeviceId queue = NewQueue();

        Assert.True(await Channels.MoveToQueueAsync(channel, bob.Id, queue, None));
        Assert.False(await Channels.MoveToQueueAsync(channel, bob.Id, NewQueue(), None));

        Assert.True(await Channels.IsMemberAsync(channel, queue, None));
        Assert.False(await Channels.IsMemberAsync(channel, bob.Id, None));
        Assert.Equal([queue], StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(channel, alice, 1), None)).Recipients);
        Assert.Single(await Engine.Mailboxes.ReadAsync(queue, 0, 10, Now, None));
    }

    [Fact]
    public async Task After_a_channel_scenario_no_row_links_a_subscriber_to_its_device()
    {
        var (alice, channel) = await ChannelAsync();
        // Carol's and Dave's people have devices and accounts here, but subscribe through anonymous queues.
        StoreDevice carolDevice = await Engine.RegisterAsync(), daveDevice = await Engine.RegisterAsync();
        DeviceId carol = NewQueue(), dave = NewQueue();
        byte[] open = await InviteAsync(channel), approval = await InviteAsync(channel, approval: true);
        var (carolPackage, carolRequest) = JoinRequestFor(channel, carol);
        var (_, daveRequest) = JoinRequestFor(channel, dave);
        Assert.Equal(JoinRequestOutcome.Created, (await Channels.CreateJoinRequestAsync(carolRequest, open, Now, 10, None)).Outcome);
        Assert.Equal(JoinRequestOutcome.Created, (await Channels.CreateJoinRequestAsync(daveRequest, approval, Now, 10, None)).Outcome);
        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Commit(channel, alice,
            TestMls.Commit(StoreFixtures.Bytes(channel), 0, 0, new Add(carolPackage)), TestMls.Welcome(carolPackage)), None));
        Assert.True(await Channels.DenyRequestAsync(channel, daveRequest.RequestId, None));
        Assert.Equal([carol], StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(channel, alice, 1), None)).Recipients);
        Assert.True(await Channels.AddViewAsync(channel, "post-1", SHA256.HashData(RandomNumberGenerator.GetBytes(32)), None));
        foreach (var copy in await Engine.Mailboxes.ReadAsync(carol, 0, 10, Now, None))
        {
            Assert.True(await Engine.Mailboxes.AcknowledgeAsync(carol, copy.Id, None));
        }

        IReadOnlyList<string> rows = await RowsAsync();

        // The subscriber side: the channel, the queues, the pseudonym. The device side: devices, accounts, their keys.
        string[] subscriberSide = [channel.Value, carol.Value, dave.Value, Convert.ToHexStringLower(carolPackage.LeafNode.SignatureKey)];
        string[] deviceSide = [carolDevice.Id.Value, carolDevice.Account.Value, Convert.ToHexStringLower(carolDevice.Key.PublicKey),
            daveDevice.Id.Value, daveDevice.Account.Value, Convert.ToHexStringLower(daveDevice.Key.PublicKey)];
        Assert.Contains(rows, r => r.Contains(carol.Value, StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains(carolDevice.Id.Value, StringComparison.Ordinal));
        foreach (string row in rows)
        {
            bool subscriber = subscriberSide.Any(s => row.Contains(s, StringComparison.Ordinal));
            bool device = deviceSide.Any(d => row.Contains(d, StringComparison.Ordinal));
            Assert.False(subscriber && device, $"A row links a subscriber to its device: {row}");
        }
        // Answered requests are gone, and nothing holds the second of a request.
        Assert.DoesNotContain(rows, r => r.Contains(daveRequest.RequestId, StringComparison.Ordinal)
                                          || r.Contains(carolRequest.RequestId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_view_token_counts_once_per_post()
    {
        var (_, channel) = await ChannelAsync();
        byte[] first = RandomNumberGenerator.GetBytes(32), second = RandomNumberGenerator.GetBytes(32);

        Assert.True(await Channels.AddViewAsync(channel, "post-1", first, None));
        Assert.False(await Channels.AddViewAsync(channel, "post-1", first, None));
        Assert.True(await Channels.AddViewAsync(channel, "post-1", second, None));
        Assert.True(await Channels.AddViewAsync(channel, "post-2", first, None));

        Assert.Equal(2, await Channels.CountViewsAsync(channel, "post-1", None));
        Assert.Equal(1, await Channels.CountViewsAsync(channel, "post-2", None));
        Assert.Equal(0, await Channels.CountViewsAsync(channel, "post-3", None));
    }

    [Fact]
    public async Task A_public_channel_keeps_its_owner_admins_and_takedown()
    {
        StoreDevice alice = await Engine.RegisterAsync("alice"), bob = await Engine.RegisterAsync("bob");
        Assert.Equal(CreatePublicChannelOutcome.Created, await PublicChannels.CreateAsync("news", "News", "Daily", alice.Account, Now, None));
        Assert.Equal(CreatePublicChannelOutcome.NameTaken, await PublicChannels.CreateAsync("news", "Other", "", bob.Account, Now, None));

        Assert.True(await PublicChannels.AddAdminAsync("news", bob.Account, None));
        Assert.True(await PublicChannels.AddAdminAsync("news", bob.Account, None));
        Assert.False(await PublicChannels.AddAdminAsync("absent", bob.Account, None));
        Assert.False(await PublicChannels.RemoveAdminAsync("news", alice.Account, None));

        PublicChannel channel = (await PublicChannels.FindAsync("news", None))!;
        Assert.Equal(("News", "Daily", alice.Account, false), (channel.Title, channel.Description, channel.Owner, channel.TakenDown));
        Assert.Equal(["alice", "bob"], channel.Admins.Select(a => a.Username));
        Assert.Equal(alice.Key.PublicKey, channel.Admins[0].IdentityKey);
        Assert.True(await PublicChannels.RemoveAdminAsync("news", bob.Account, None));
        Assert.Equal(["alice"], (await PublicChannels.FindAsync("news", None))!.Admins.Select(a => a.Username));

        Assert.True(await PublicChannels.SetTakenDownAsync("news", takenDown: true, None));
        Assert.False(await PublicChannels.SetTakenDownAsync("news", takenDown: true, None));
        Assert.True((await PublicChannels.FindAsync("news", None))!.TakenDown);
        Assert.Equal(AppendPostOutcome.TakenDown, (await PublicChannels.AppendAsync("news", "p1", PublicPostOperation.Post, [1], None)).Outcome);
        Assert.True(await PublicChannels.SetTakenDownAsync("news", takenDown: false, None));
        Assert.Null(await PublicChannels.FindAsync("absent", None));
    }

    [Fact]
    public async Task Public_posts_are_numbered_in_order_edited_deleted_counted_and_taken_down()
    {
        StoreDevice alice = await Engine.RegisterAsync();
        await PublicChannels.CreateAsync("news", "News", "", alice.Account, Now, None);

        Assert.Equal((AppendPostOutcome.Appended, 1L), await AppendAsync("a", PublicPostOperation.Post, "1"));
        Assert.Equal((AppendPostOutcome.Appended, 2L), await AppendAsync("b", PublicPostOperation.Post, "2"));
        Assert.Equal((AppendPostOutcome.Repeated, 1L), await AppendAsync("a", PublicPostOperation.Post, "1"));
        Assert.Equal(AppendPostOutcome.PostExists, (await AppendAsync("a", PublicPostOperation.Post, "9")).Outcome);
        Assert.Equal((AppendPostOutcome.Appended, 1L), await AppendAsync("a", PublicPostOperation.Edit, "3"));
        Assert.Equal(AppendPostOutcome.PostNotFound, (await AppendAsync("c", PublicPostOperation.Edit, "4")).Outcome);
        Assert.Equal((AppendPostOutcome.Appended, 2L), await AppendAsync("b", PublicPostOperation.Delete, "5"));
        Assert.Equal(AppendPostOutcome.Repeated, (await AppendAsync("b", PublicPostOperation.Delete, "6")).Outcome);
        Assert.Equal(AppendPostOutcome.PostDeleted, (await AppendAsync("b", PublicPostOperation.Edit, "7")).Outcome);
        Assert.Equal(AppendPostOutcome.ChannelNotFound,
            (await PublicChannels.AppendAsync("absent", "a", PublicPostOperation.Post, StoredPost("a", PublicPostOperation.Post, "1"), None)).Outcome);
        Assert.True(await PublicChannels.CountViewAsync("news", "a", None));
        Assert.True(await PublicChannels.CountViewAsync("news", "a", None));
        Assert.False(await PublicChannels.CountViewAsync("news", "zzz", None));

        var posts = await PublicChannels.ReadPostsAsync("news", 0, 10, None);
        Assert.Equal([(1L, "a", false, 2L), (2L, "b", true, 0L)], posts.Select(p => (p.Sequence, p.PostId, p.Deleted, p.Views)));
        Assert.Equal(StoredPost("a", PublicPostOperation.Edit, "3"), posts[0].Post);
        Assert.Equal(["b"], (await PublicChannels.ReadPostsAsync("news", 1, 10, None)).Select(p => p.PostId));

        Assert.Equal(PostTakedownOutcome.TakenDown, await PublicChannels.TakeDownPostAsync("news", "a", None));
        Assert.Equal(PostTakedownOutcome.AlreadyTakenDown, await PublicChannels.TakeDownPostAsync("news", "a", None));
        Assert.Equal(PostTakedownOutcome.PostNotFound, await PublicChannels.TakeDownPostAsync("news", "zzz", None));
        Assert.Equal(["b"], (await PublicChannels.ReadPostsAsync("news", 0, 10, None)).Select(p => p.PostId));
        Assert.False(await PublicChannels.CountViewAsync("news", "a", None));
        Assert.Equal(AppendPostOutcome.PostNotFound, (await AppendAsync("a", PublicPostOperation.Edit, "8")).Outcome);
        Assert.Equal((AppendPostOutcome.Appended, 3L), await AppendAsync("c", PublicPostOperation.Post, "9"));
    }

    [Fact]
    public async Task Only_the_author_of_a_public_post_replaces_it_and_another_authors_version_changes_nothing()
    {
        StoreDevice alice = await Engine.RegisterAsync();
        await PublicChannels.CreateAsync("news", "News", "", alice.Account, Now, None);
        Assert.Equal((AppendPostOutcome.Appended, 1L), await AppendAsync("a", PublicPostOperation.Post, "alice's", "alice"));

        Assert.Equal((AppendPostOutcome.NotPostAuthor, 1L), await AppendAsync("a", PublicPostOperation.Edit, "bob's", "bob"));
        Assert.Equal((AppendPostOutcome.NotPostAuthor, 1L), await AppendAsync("a", PublicPostOperation.Delete, "", "bob"));
        PublicPostRecord stored = Assert.Single(await PublicChannels.ReadPostsAsync("news", 0, 10, None));
        Assert.Equal(StoredPost("a", PublicPostOperation.Post, "alice's", "alice"), stored.Post);
        Assert.False(stored.Deleted);

        Assert.Equal((AppendPostOutcome.Appended, 1L), await AppendAsync("a", PublicPostOperation.Delete, "", "alice"));
        Assert.Equal((AppendPostOutcome.NotPostAuthor, 1L), await AppendAsync("a", PublicPostOperation.Delete, "", "bob"));
    }

    // The store checks no signature (the endpoint did), so an unsigned post with a fixed clock stands for a verified one.
    private Task<(AppendPostOutcome Outcome, long Sequence)> AppendAsync(string postId, PublicPostOperation operation, string text,
        string author = "alice")
        => PublicChannels.AppendAsync("news", postId, operation, StoredPost(postId, operation, text, author), None);

    private static byte[] StoredPost(string postId, PublicPostOperation operation, string text, string author = "alice")
        => new PublicPost("news", postId, operation, DateTimeOffset.UnixEpoch, text, author, new byte[32], new byte[64], new byte[64]).Encode();

    private async Task<(StoreDevice Admin, GroupId Channel)> ChannelAsync(string? username = null)
    {
        StoreDevice admin = await Engine.RegisterAsync(username);
        GroupId group = await Engine.CreateGroupAsync(admin);
        Assert.Equal(RegisterChannelOutcome.Registered, await Channels.RegisterAsync(group, admin.Id, admin.Account, None));
        return (admin, group);
    }

    private async Task<byte[]> InviteAsync(GroupId channel, bool approval = false, DateTimeOffset? expiresAt = null)
    {
        string token = InviteToken.New();
        Assert.True(InviteToken.TryHash(token, out byte[] hash));
        await Channels.CreateInviteAsync(new ChannelInvite(InviteToken.NewId(), channel, hash, approval, expiresAt, Now), None);
        return hash;
    }

    /// <summary>A pseudonymous key package of a fresh key, and a pending request of <paramref name="queue"/> carrying it.</summary>
    private (KeyPackage Package, JoinRequest Request) JoinRequestFor(GroupId channel, DeviceId queue)
    {
        var key = TestMls.Suite.GenerateSignatureKeyPair();
        KeyPackage package = TestMls.KeyPackageRecord(Encoding.ASCII.GetString(PseudonymousCredential.IdentityFor(key.PublicKey)), key);
        var request = new JoinRequest(InviteToken.NewId(), channel, "", queue, package.Ref(TestMls.Suite), new MlsMessage(package).ToBytes(),
            false, Now + TimeSpan.FromDays(30));
        return (package, request);
    }

    /// <summary>A fresh subscriber queue's id (docs/channels.md, "Subscriber queues").</summary>
    private static DeviceId NewQueue() => SubscriberQueue.IdOf(RandomNumberGenerator.GetBytes(SubscriberQueue.TokenLength));

    private static byte[] AdminsCommit(GroupId channel, ulong epoch, params string[] admins)
        => TestMls.Commit(StoreFixtures.Bytes(channel), epoch, 0,
            new GroupContextExtensions([new Extension(ChannelExtension.Type, new ChannelExtension("news", admins).Encode())]));
}

public sealed class SqliteChannelStoreContractTests : ChannelStoreContractTests
{
    protected override Task<StoreEngine> OpenAsync() => StoreEngine.SqliteAsync();

    protected override Task<IReadOnlyList<string>> RowsAsync()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(Engine.DataDirectory, Parley.Server.Storage.Sqlite.SqliteDatabase.FileName)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var rows = new List<string>();
        foreach (string table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(table + ": " + string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
                {
                    byte[] bytes => Convert.ToHexStringLower(bytes),
                    var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
                })));
            }
        }
        return Task.FromResult<IReadOnlyList<string>>(rows);
    }
}

public sealed class PostgresChannelStoreContractTests : ChannelStoreContractTests
{
    protected override Task<StoreEngine> OpenAsync() => StoreEngine.PostgresAsync();

    protected override async Task<IReadOnlyList<string>> RowsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Engine.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new Npgsql.NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var rows = new List<string>();
        foreach (string table in tables)
        {
            // A row as text shows bytea as \x followed by lowercase hex.
            await using var select = new Npgsql.NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(table + ": " + reader.GetString(0));
            }
        }
        return rows;
    }
}
