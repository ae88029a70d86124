using Parley.Mls.Codec;
using System.Collections.Concurrent;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;
using Parley.Server.Tests;

namespace Parley.Server.Postgres.Tests;

/// <summary>The contract every storage engine keeps, written against the store interfaces only and
/// run once per engine (<see cref="SqliteStoreContractTests"/>, <see cref="PostgresStoreContractTests"/>).</summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private StoreEngine? _engine;

    protected StoreEngine Engine => _engine!;

    protected abstract Task<StoreEngine> OpenAsync();

    /// <summary>"sqlite" or "postgres".</summary>
    protected abstract string ExpectedEngine { get; }

    public async Task InitializeAsync() => _engine = await OpenAsync();

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_configured_engine_is_open_and_healthy()
    {
        Assert.Equal(ExpectedEngine, Engine.Engine.Name);
        Assert.True(await Engine.Engine.IsHealthyAsync(None));
    }

    [Fact]
    public async Task Registration_creates_the_account_with_its_first_device_and_refuses_a_taken_username_or_a_known_device()
    {
        StoreDevice alice = await Engine.RegisterAsync("alice");
        Account? found = await Engine.Accounts.FindByUsernameAsync(Name("alice"), None);
        Assert.Equal(alice.Account, found!.Id);
        Assert.Equal(alice.Key.PublicKey, found.IdentityKey);
        Assert.Equal("alice", (await Engine.Accounts.FindByIdAsync(alice.Account, None))!.Username.Value);
        Assert.Null(await Engine.Accounts.FindByUsernameAsync(Name("nobody"), None));

        var otherKey = TestMls.Suite.GenerateSignatureKeyPair();
        Assert.Equal(RegistrationOutcome.UsernameTaken, await Engine.Accounts.CreateAsync(
            new Account(AccountId.New(), Name("alice"), otherKey.PublicKey), StoreFixtures.NewDevice(otherKey), None));
        Assert.Equal(RegistrationOutcome.DeviceExists, await Engine.Accounts.CreateAsync(
            new Account(AccountId.New(), Name("bob"), otherKey.PublicKey), StoreFixtures.NewDevice(alice.Key), None));
        // Refused registrations leave nothing behind: the name is still free.
        Assert.Null(await Engine.Accounts.FindByUsernameAsync(Name("bob"), None));
        await Engine.RegisterAsync("bob");
    }

    [Fact]
    public async Task A_username_with_the_skeleton_of_a_registered_one_is_refused_as_confusable_and_leaves_nothing_behind()
    {
        await Engine.RegisterAsync("paypal");
        var key = TestMls.Suite.GenerateSignatureKeyPair();
        Assert.Equal(RegistrationOutcome.UsernameConfusable, await Engine.Accounts.CreateAsync(
            new Account(AccountId.New(), Name("paypa1"), key.PublicKey), StoreFixtures.NewDevice(key), None));

        // Neither the name nor the device was kept.
        Assert.Null(await Engine.Accounts.FindByUsernameAsync(Name("paypa1"), None));
        Assert.Equal(RegistrationOutcome.Created, await Engine.Accounts.CreateAsync(
            new Account(AccountId.New(), Name("paypa1.shop"), key.PublicKey), StoreFixtures.NewDevice(key), None));
    }

    [Fact]
    public async Task Devices_are_listed_in_the_order_added_and_limited_per_account_revoked_ones_included()
    {
        StoreDevice first = await Engine.RegisterAsync();
        StoreDevice second = await Engine.AddDeviceAsync(first.Account);
        Assert.True(await Engine.Devices.RevokeAsync(first.Account, second.Id, None));
        var third = TestMls.Suite.GenerateSignatureKeyPair();
        Assert.Equal(AddDeviceOutcome.TooManyDevices, await Engine.Devices.AddAsync(first.Account, StoreFixtures.NewDevice(third), 2, None));
        Assert.Equal(AddDeviceOutcome.DeviceExists, await Engine.Devices.AddAsync(first.Account, StoreFixtures.NewDevice(second.Key), 16, None));
        Assert.Equal(AddDeviceOutcome.Added, await Engine.Devices.AddAsync(first.Account, StoreFixtures.NewDevice(third), 3, None));

        IReadOnlyList<Device> devices = await Engine.Devices.ListAsync(first.Account, None);
        Assert.Equal([first.Id, second.Id, DeviceId.FromSignatureKey(third.PublicKey)], devices.Select(d => d.Id));
        Assert.Equal([false, true, false], devices.Select(d => d.Revoked));
        Assert.Equal(first.Key.PublicKey, (await Engine.Devices.FindAsync(first.Id, None))!.SignatureKey);
    }

    [Fact]
    public async Task Revoking_a_device_drops_its_credential_key_packages_and_mailbox_once()
    {
        StoreDevice alice = await Engine.RegisterAsync();
        StoreDevice phone = await Engine.AddDeviceAsync(alice.Account);
        StoreDevice stranger = await Engine.RegisterAsync();
        Assert.NotNull(await Engine.Devices.FindCredentialAsync(phone.Id, None));
        Assert.True(await Engine.KeyPackages.AddAsync(phone.Id, [phone.KeyPackage(Later)], phone.KeyPackage(Later), 10, None));
        GroupId group = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(group, alice, 0, 0, phone));
        Assert.NotEmpty(await Read(phone));

        Assert.False(await Engine.Devices.RevokeAsync(stranger.Account, phone.Id, None));
        Assert.True(await Engine.Devices.RevokeAsync(alice.Account, phone.Id, None));
        Assert.False(await Engine.Devices.RevokeAsync(alice.Account, phone.Id, None));

        Assert.Null(await Engine.Devices.FindCredentialAsync(phone.Id, None));
        Assert.True((await Engine.Devices.FindAsync(phone.Id, None))!.Revoked);
        Assert.Equal(new KeyPackageCount(0, false), await Engine.KeyPackages.CountAsync(phone.Id, 1, Engine.Clock.GetUtcNow(), None));
        Assert.Empty(await Read(phone));
        // Still in the roster until someone commits a Remove, but it receives nothing more.
        var sent = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(group, alice, 1), None));
        Assert.Empty(sent.Recipients);
        Assert.Empty(await Read(phone));
    }

    [Fact]
    public async Task Key_packages_are_claimed_oldest_first_then_the_last_resort_which_is_kept()
    {
        StoreDevice bob = await Engine.RegisterAsync();
        StoreDevice laptop = await Engine.AddDeviceAsync(bob.Account);
        StoredKeyPackage first = bob.KeyPackage(Later), second = bob.KeyPackage(Later), lastResort = bob.KeyPackage(Later);
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [first, second], lastResort, 10, None));
        Assert.Equal(new KeyPackageCount(2, true), await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None));

        var claims = new List<IReadOnlyList<ClaimedKeyPackage>>();
        for (int i = 0; i < 4; i++)
        {
            claims.Add(await Engine.KeyPackages.ClaimAsync(bob.Account, null, 1, Now, takeOneTime: true, None));
        }
        // The laptop has no packages at all, so it is absent from every answer.
        Assert.All(claims, c => Assert.Equal([bob.Id], c.Select(k => k.DeviceId)));
        Assert.Equal([first.Data, second.Data, lastResort.Data, lastResort.Data], claims.Select(c => c[0].Data));
        Assert.Equal([false, false, true, true], claims.Select(c => c[0].LastResort));
        Assert.Equal(new KeyPackageCount(0, true), await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None));

        Assert.True(await Engine.KeyPackages.AddAsync(laptop.Id, [laptop.KeyPackage(Later)], null, 10, None));
        Assert.Equal([laptop.Id], (await Engine.KeyPackages.ClaimAsync(bob.Account, bob.Id, 1, Now, takeOneTime: true, None)).Select(k => k.DeviceId));
    }

    [Fact]
    public async Task Each_suite_keeps_its_own_packages_last_resort_and_limit()
    {
        StoreDevice bob = await Engine.RegisterAsync();
        StoreDevice laptop = await Engine.AddDeviceAsync(bob.Account);
        StoredKeyPackage classic = bob.KeyPackage(Later), classicLast = bob.KeyPackage(Later);
        StoredKeyPackage quantum = bob.KeyPackage(Later) with { CipherSuite = 83 }, quantumLast = bob.KeyPackage(Later) with { CipherSuite = 83 };
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [classic], classicLast, 1, None));
        // The limit counts per suite: suite 83's first package fits beside suite 1's.
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [quantum], quantumLast, 1, None));
        Assert.True(await Engine.KeyPackages.AddAsync(laptop.Id, [laptop.KeyPackage(Later)], null, 1, None));

        Assert.Equal(new KeyPackageCount(1, true), await Engine.KeyPackages.CountAsync(bob.Id, 83, Now, None));
        var suites = await Engine.KeyPackages.SuitesAsync(bob.Account, Now, None);
        Assert.Equal([1, 83], suites[bob.Id]);
        Assert.Equal([1], suites[laptop.Id]);
        var first = await Engine.KeyPackages.ClaimAsync(bob.Account, null, 83, Now, takeOneTime: true, None);
        var second = await Engine.KeyPackages.ClaimAsync(bob.Account, null, 83, Now, takeOneTime: true, None);
        Assert.Equal([bob.Id], first.Select(k => k.DeviceId));
        Assert.Equal(quantum.Data, first[0].Data);
        Assert.False(first[0].LastResort);
        Assert.Equal(quantumLast.Data, second.Single().Data);
        Assert.True(second[0].LastResort);
        Assert.Equal(new KeyPackageCount(1, true), await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None));
        Assert.Equal(new KeyPackageCount(0, true), await Engine.KeyPackages.CountAsync(bob.Id, 83, Now, None));
        Assert.Empty(await Engine.KeyPackages.ClaimAsync(bob.Account, null, 79, Now, takeOneTime: true, None));
    }

    [Fact]
    public async Task Uploads_beyond_the_limit_store_nothing_and_duplicates_are_ignored()
    {
        StoreDevice bob = await Engine.RegisterAsync();
        StoredKeyPackage package = bob.KeyPackage(Later);
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [package, package, bob.KeyPackage(Later)], null, 3, None));
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [package], null, 3, None));
        Assert.Equal(2, (await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None)).OneTime);
        Assert.False(await Engine.KeyPackages.AddAsync(bob.Id, [bob.KeyPackage(Later), bob.KeyPackage(Later)], bob.KeyPackage(Later), 3, None));
        Assert.Equal(new KeyPackageCount(2, false), await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None));
    }

    [Fact]
    public async Task Concurrent_claims_never_hand_out_the_same_key_package()
    {
        StoreDevice bob = await Engine.RegisterAsync();
        StoredKeyPackage[] packages = Enumerable.Range(0, 12).Select(_ => bob.KeyPackage(Later)).ToArray();
        StoredKeyPackage lastResort = bob.KeyPackage(Later);
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, packages, lastResort, 100, None));

        var claims = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => Engine.KeyPackages.ClaimAsync(bob.Account, null, 1, Now, takeOneTime: true, None))));

        var oneTime = claims.Select(c => Assert.Single(c)).Where(c => !c.LastResort).Select(c => Convert.ToHexString(c.Data)).ToList();
        Assert.Equal(12, oneTime.Count);
        Assert.Equal(12, oneTime.Distinct().Count());
        Assert.Equal(8, claims.Count(c => c[0].LastResort && c[0].Data.AsSpan().SequenceEqual(lastResort.Data)));
    }

    [Fact]
    public async Task A_claim_that_may_not_take_one_time_packages_gets_the_last_resort_and_takes_nothing()
    {
        StoreDevice bob = await Engine.RegisterAsync();
        StoreDevice laptop = await Engine.AddDeviceAsync(bob.Account);
        StoredKeyPackage oneTime = bob.KeyPackage(Later), lastResort = bob.KeyPackage(Later);
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [oneTime], lastResort, 10, None));
        Assert.True(await Engine.KeyPackages.AddAsync(laptop.Id, [laptop.KeyPackage(Later)], null, 10, None));

        var capped = await Engine.KeyPackages.ClaimAsync(bob.Account, null, 1, Now, takeOneTime: false, None);

        // The laptop has no last-resort package, so it is absent; nothing one-time was taken from either device.
        ClaimedKeyPackage only = Assert.Single(capped);
        Assert.Equal((bob.Id, true), (only.DeviceId, only.LastResort));
        Assert.Equal(lastResort.Data, only.Data);
        Assert.Equal(new KeyPackageCount(1, true), await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None));
        Assert.Equal(1, (await Engine.KeyPackages.CountAsync(laptop.Id, 1, Now, None)).OneTime);
    }

    [Fact]
    public async Task Claims_are_counted_per_account_in_windows_that_restart_when_they_end_and_are_swept()
    {
        StoreDevice bob = await Engine.RegisterAsync(), carol = await Engine.RegisterAsync();
        TimeSpan hour = TimeSpan.FromHours(1);
        DateTimeOffset start = DateTimeOffset.FromUnixTimeSeconds(Now.ToUnixTimeSeconds());

        Assert.Equal(new ClaimWindow(1, start + hour), await Engine.KeyPackages.CountClaimAsync(bob.Account, start, hour, None));
        Assert.Equal(new ClaimWindow(2, start + hour), await Engine.KeyPackages.CountClaimAsync(bob.Account, start + TimeSpan.FromMinutes(59), hour, None));
        Assert.Equal(new ClaimWindow(1, start + TimeSpan.FromMinutes(70)),
            await Engine.KeyPackages.CountClaimAsync(carol.Account, start + TimeSpan.FromMinutes(10), hour, None));
        DateTimeOffset next = start + hour;
        Assert.Equal(new ClaimWindow(1, next + hour), await Engine.KeyPackages.CountClaimAsync(bob.Account, next, hour, None));

        // Once carol's window has ended the sweep deletes it; a claim afterwards starts a new one.
        await Engine.KeyPackages.DeleteExpiredAsync(start + TimeSpan.FromMinutes(71), None);
        DateTimeOffset late = start + TimeSpan.FromMinutes(72);
        Assert.Equal(new ClaimWindow(1, late + hour), await Engine.KeyPackages.CountClaimAsync(carol.Account, late, hour, None));
        Assert.Equal(new ClaimWindow(2, next + hour), await Engine.KeyPackages.CountClaimAsync(bob.Account, late, hour, None));
    }

    [Fact]
    public async Task Expired_key_packages_are_neither_counted_nor_claimed_and_are_swept()
    {
        StoreDevice bob = await Engine.RegisterAsync();
        Assert.True(await Engine.KeyPackages.AddAsync(bob.Id, [bob.KeyPackage(Now + TimeSpan.FromMinutes(1))],
            bob.KeyPackage(Now + TimeSpan.FromMinutes(1)), 10, None));
        DateTimeOffset later = Now + TimeSpan.FromMinutes(2);
        Assert.Equal(new KeyPackageCount(0, false), await Engine.KeyPackages.CountAsync(bob.Id, 1, later, None));
        Assert.Empty(await Engine.KeyPackages.ClaimAsync(bob.Account, null, 1, later, takeOneTime: true, None));
        Assert.Equal(2, await Engine.KeyPackages.DeleteExpiredAsync(later, None));
        Assert.Equal(new KeyPackageCount(0, false), await Engine.KeyPackages.CountAsync(bob.Id, 1, Now, None));
    }

    [Fact]
    public async Task A_group_is_created_once_with_its_creator_at_leaf_zero()
    {
        StoreDevice alice = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        Assert.Equal(CreateGroupOutcome.AlreadyExists, await Engine.Groups.CreateAsync(group, 1, alice.Id, null, None));
        GroupRoster roster = (await Engine.Groups.FindAsync(group, None))!;
        Assert.Equal((ushort)1, roster.CipherSuite);
        Assert.Equal(0UL, roster.Epoch);
        Assert.Equal(alice.Id, roster.Members[0]);
        Assert.Null(await Engine.Groups.FindAsync(GroupId.FromBytes(TestMls.NewGroupId()), None));
        Assert.IsType<SubmissionOutcome.GroupNotFound>(await Engine.Groups.SubmitAsync(
            Engine.Application(GroupId.FromBytes(TestMls.NewGroupId()), alice, 0), None));
    }

    [Fact]
    public async Task A_commit_adding_devices_updates_the_roster_and_sends_the_welcome_to_them()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        GroupRoster roster = (await Engine.Groups.FindAsync(group, None))!;
        Assert.Equal(1UL, roster.Epoch);
        Assert.Equal([alice.Id, bob.Id, carol.Id], roster.Members.OrderBy(m => m.Key).Select(m => m.Value));
        MailboxMessage welcome = Assert.Single(await Read(bob));
        Assert.Equal(WireFormat.MlsWelcome, MlsMessage.Decode(welcome.Message).WireFormat);
        Assert.Single(await Read(carol));
        Assert.Empty(await Read(alice));
    }

    [Fact]
    public async Task An_application_message_is_copied_to_every_other_member_once_even_when_retried()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        GroupSubmission message = Engine.Application(group, alice, 1, "hello-1");
        var first = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(message, None));
        Assert.False(first.Repeated);
        Assert.Equal(1UL, first.Epoch);
        Assert.Equal(new HashSet<DeviceId> { bob.Id, carol.Id }, first.Recipients.ToHashSet());

        var again = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(message, None));
        Assert.True(again.Repeated);
        Assert.Empty(again.Recipients);
        Assert.Equal(["hello-1"], (await Read(bob)).Skip(1).Select(m => m.Id));
        Assert.Equal(message.Message, (await Read(carol)).Last().Message);

        var tooNew = await Engine.Groups.SubmitAsync(Engine.Application(group, alice, 2), None);
        Assert.Equal(RejectionReason.StaleEpoch, Assert.IsType<SubmissionOutcome.Rejected>(tooNew).Reason);
        StoreDevice outsider = await Engine.RegisterAsync();
        var notMember = await Engine.Groups.SubmitAsync(Engine.Application(group, outsider, 1), None);
        Assert.Equal(RejectionReason.NotMember, Assert.IsType<SubmissionOutcome.Rejected>(notMember).Reason);
    }

    [Fact]
    public async Task A_commit_for_a_stale_epoch_is_rejected_with_the_current_epoch_but_its_retry_is_a_repeat()
    {
        var (alice, bob, _, group) = await GroupOfThreeAsync();
        GroupSubmission commit = Engine.Commit(group, bob, TestMls.Commit(StoreFixtures.Bytes(group), 1, 1), id: "bob-commit");
        Assert.Equal(2UL, StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(commit, None)).Epoch);

        var stale = await Engine.Groups.SubmitAsync(Engine.Commit(group, alice, TestMls.Commit(StoreFixtures.Bytes(group), 1, 0)), None);
        var rejected = Assert.IsType<SubmissionOutcome.Rejected>(stale);
        Assert.Equal(RejectionReason.StaleEpoch, rejected.Reason);
        Assert.Equal(2UL, rejected.CurrentEpoch);

        var retried = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(commit, None));
        Assert.True(retried.Repeated);
        Assert.Equal(2UL, retried.Epoch);
    }

    [Fact]
    public async Task Of_commits_racing_for_one_epoch_exactly_one_is_accepted()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        for (ulong epoch = 1; epoch <= 5; epoch++)
        {
            (StoreDevice Device, uint Leaf)[] senders = [(alice, 0), (bob, 1), (carol, 2), (alice, 0), (bob, 1), (carol, 2)];
            ulong at = epoch;
            SubmissionOutcome[] outcomes = await Task.WhenAll(senders.Select(s => Task.Run(() =>
                Engine.Groups.SubmitAsync(Engine.Commit(group, s.Device, TestMls.Commit(StoreFixtures.Bytes(group), at, s.Leaf)), None))));
            Assert.Single(outcomes.OfType<SubmissionOutcome.Accepted>());
            Assert.All(outcomes.OfType<SubmissionOutcome.Rejected>(), r =>
            {
                Assert.Equal(RejectionReason.StaleEpoch, r.Reason);
                Assert.Equal(epoch + 1, r.CurrentEpoch);
            });
            Assert.Equal(epoch + 1, (await Engine.Groups.FindAsync(group, None))!.Epoch);
        }
    }

    [Fact]
    public async Task A_commit_may_include_by_reference_a_proposal_sent_earlier_in_its_epoch()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        GroupSubmission proposal = Engine.Proposal(group, bob, 1, 1, new Remove(new LeafIndex(2)));
        var relayed = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(proposal, None));
        Assert.Equal(new HashSet<DeviceId> { alice.Id, carol.Id }, relayed.Recipients.ToHashSet());

        byte[] reference = proposal.PublicMessage!.ToAuthenticatedContent().MakeProposalRef(TestMls.Suite);
        byte[] commit = new MlsMessage(TestMls.CommitMessage(StoreFixtures.Bytes(group), 1, Sender.Member(new LeafIndex(0)),
            new Commit([new ProposalOrRef(reference)], null))).ToBytes();
        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Commit(group, alice, commit), None));
        Assert.Equal([alice.Id, bob.Id], (await Engine.Groups.FindAsync(group, None))!.Members.OrderBy(m => m.Key).Select(m => m.Value));

        // Proposals live one epoch: the same reference is unknown now.
        byte[] again = new MlsMessage(TestMls.CommitMessage(StoreFixtures.Bytes(group), 2, Sender.Member(new LeafIndex(0)),
            new Commit([new ProposalOrRef(reference)], null))).ToBytes();
        var refused = await Engine.Groups.SubmitAsync(Engine.Commit(group, alice, again), None);
        Assert.Equal(RejectionReason.InvalidCommit, Assert.IsType<SubmissionOutcome.Rejected>(refused).Reason);
    }

    [Fact]
    public async Task A_revoked_or_unknown_device_cannot_be_added()
    {
        StoreDevice alice = await Engine.RegisterAsync();
        StoreDevice bob = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        StoreDevice phone = await Engine.AddDeviceAsync(bob.Account);
        Assert.True(await Engine.Devices.RevokeAsync(bob.Account, phone.Id, None));
        var revoked = await Engine.AddMembersAsync(group, alice, 0, 0, phone);
        Assert.Equal(RejectionReason.UnknownDevice, Assert.IsType<SubmissionOutcome.Rejected>(revoked).Reason);
        var strangerKey = TestMls.Suite.GenerateSignatureKeyPair();
        var stranger = new StoreDevice(bob.Account, DeviceId.FromSignatureKey(strangerKey.PublicKey), strangerKey);
        var unknown = await Engine.AddMembersAsync(group, alice, 0, 0, stranger);
        Assert.Equal(RejectionReason.UnknownDevice, Assert.IsType<SubmissionOutcome.Rejected>(unknown).Reason);
        Assert.Equal(0UL, (await Engine.Groups.FindAsync(group, None))!.Epoch);
    }

    [Fact]
    public async Task A_batched_acknowledgement_deletes_only_the_named_copies_of_the_device_and_counts_them()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        foreach (var i in Enumerable.Range(0, 4))
        {
            StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(group, alice, 1, $"ack{i}"), None));
        }

        // Two of bob's copies, one twice, and an id bob never got: two deleted.
        Assert.Equal(2, await Engine.Mailboxes.AcknowledgeAsync(bob.Id, ["ack0", "ack2", "ack2", "unknown"], None));
        Assert.Equal(0, await Engine.Mailboxes.AcknowledgeAsync(bob.Id, ["ack0", "ack2"], None));

        Assert.Equal(["ack1", "ack3"], (await Read(bob)).Select(m => m.Id).Where(id => id.StartsWith("ack", StringComparison.Ordinal)));
        Assert.Equal(["ack0", "ack1", "ack2", "ack3"], (await Read(carol)).Select(m => m.Id).Where(id => id.StartsWith("ack", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_mailbox_pages_by_sequence_and_an_acknowledged_message_is_gone_for_good()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        MailboxMessage welcome = Assert.Single(await Read(bob));
        Assert.True(await Engine.Mailboxes.AcknowledgeAsync(bob.Id, welcome.Id, None));
        Assert.False(await Engine.Mailboxes.AcknowledgeAsync(bob.Id, welcome.Id, None));

        var sends = Enumerable.Range(0, 7).Select(i => Engine.Application(group, alice, 1, $"m{i}")).ToList();
        foreach (GroupSubmission send in sends)
        {
            StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(send, None));
        }
        var pages = new List<string>();
        long after = 0;
        while (true)
        {
            IReadOnlyList<MailboxMessage> page = await Engine.Mailboxes.ReadAsync(bob.Id, after, 3, Now, None);
            if (page.Count == 0)
            {
                break;
            }
            Assert.True(page.Zip(page.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
            pages.AddRange(page.Select(m => m.Id));
            after = page[^1].Sequence;
        }
        Assert.Equal(sends.Select(s => s.MessageId), pages);

        Assert.True(await Engine.Mailboxes.AcknowledgeAsync(bob.Id, "m3", None));
        // A retry of an acknowledged send brings nothing back.
        Assert.True(StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(sends[3], None)).Repeated);
        Assert.DoesNotContain("m3", (await Read(bob)).Select(m => m.Id));
        Assert.Contains("m3", (await Read(carol)).Select(m => m.Id));
    }

    [Fact]
    public async Task A_reader_paging_by_sequence_during_concurrent_sends_misses_nothing()
    {
        var (alice, bob, carol, group) = await GroupOfThreeAsync();
        const int PerSender = 40;
        using var done = new CancellationTokenSource();
        var seen = new List<string>();
        Task reader = Task.Run(async () =>
        {
            long after = 0;
            while (true)
            {
                bool finished = done.IsCancellationRequested;
                IReadOnlyList<MailboxMessage> page = await Engine.Mailboxes.ReadAsync(bob.Id, after, 5, Now, None);
                foreach (MailboxMessage message in page)
                {
                    Assert.True(message.Sequence > after);
                    seen.Add(message.Id);
                    after = message.Sequence;
                }
                if (page.Count == 0)
                {
                    if (finished)
                    {
                        return;
                    }
                    await Task.Delay(1);
                }
            }
        });
        Task[] senders = new[] { alice, carol }.Select(sender => Task.Run(async () =>
        {
            await Task.WhenAll(Enumerable.Range(0, PerSender).Select(i =>
                Engine.Groups.SubmitAsync(Engine.Application(group, sender, 1, $"{sender.Id.Value[..6]}-{i}"), None)));
        })).ToArray();
        await Task.WhenAll(senders);
        await done.CancelAsync();
        await reader;

        Assert.Equal(2 * PerSender + 1, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Expired_messages_are_not_read_and_are_swept_with_their_send_records()
    {
        var (alice, bob, _, group) = await GroupOfThreeAsync();
        GroupSubmission send = Engine.Application(group, alice, 1) with { ExpiresAt = Now + TimeSpan.FromHours(1) };
        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(send, None));
        DateTimeOffset later = Now + TimeSpan.FromHours(2);
        Assert.DoesNotContain(send.MessageId, (await Engine.Mailboxes.ReadAsync(bob.Id, 0, 100, later, None)).Select(m => m.Id));
        Assert.Equal(2, await Engine.Mailboxes.DeleteExpiredAsync(later, None));
        Assert.DoesNotContain(send.MessageId, (await Read(bob)).Select(m => m.Id));
        // The idempotency record went too, so the same id is a new message now.
        Assert.False(StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(send with { ExpiresAt = later + TimeSpan.FromDays(1) }, None)).Repeated);
    }

    [Fact]
    public async Task A_challenge_is_redeemed_once_and_not_after_it_expires()
    {
        byte[] challenge = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        byte[] expiring = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await Engine.Challenges.AddAsync(challenge, Now + TimeSpan.FromMinutes(5), None);
        await Engine.Challenges.AddAsync(expiring, Now + TimeSpan.FromMinutes(5), None);
        Assert.True(await Engine.Challenges.TryRedeemAsync(challenge, Now, None));
        Assert.False(await Engine.Challenges.TryRedeemAsync(challenge, Now, None));
        Assert.False(await Engine.Challenges.TryRedeemAsync(expiring, Now + TimeSpan.FromMinutes(6), None));
        Assert.False(await Engine.Challenges.TryRedeemAsync(new byte[32], Now, None));
    }

    [Fact]
    public async Task Blobs_keep_to_the_device_quota_record_progress_expire_and_are_deleted()
    {
        StoreDevice alice = await Engine.RegisterAsync();
        BlobKey key = BlobId.New().Key, second = BlobId.New().Key;
        Assert.Equal(CreateBlobOutcome.Created, await Engine.Blobs.CreateAsync(
            new BlobRecord(key, alice.Id, 600, 0, Now + TimeSpan.FromHours(1)), 1000, Now, None));
        Assert.Equal(CreateBlobOutcome.QuotaExceeded, await Engine.Blobs.CreateAsync(
            new BlobRecord(second, alice.Id, 500, 0, Now + TimeSpan.FromHours(1)), 1000, Now, None));
        Assert.True(await Engine.Blobs.RecordReceivedAsync(key, 600, Now + TimeSpan.FromDays(1), None));
        BlobRecord blob = (await Engine.Blobs.FindAsync(key, Now, None))!;
        Assert.True(blob.Complete);
        Assert.Equal(alice.Id, blob.Uploader);

        DateTimeOffset later = Now + TimeSpan.FromDays(2);
        Assert.Null(await Engine.Blobs.FindAsync(key, later, None));
        Assert.Equal([key], await Engine.Blobs.ListExpiredAsync(later, 10, None));
        Assert.True(await Engine.Blobs.ExistsAsync(key, None));
        Assert.True(await Engine.Blobs.DeleteAsync(key, None));
        Assert.False(await Engine.Blobs.DeleteAsync(key, None));
        Assert.False(await Engine.Blobs.RecordReceivedAsync(key, 1, later, None));
        Assert.Equal(CreateBlobOutcome.Created, await Engine.Blobs.CreateAsync(
            new BlobRecord(second, alice.Id, 500, 0, Now + TimeSpan.FromHours(1)), 1000, later, None));
    }

    protected DateTimeOffset Now => Engine.Clock.GetUtcNow();

    protected DateTimeOffset Later => Now + TimeSpan.FromDays(90);

    protected Task<IReadOnlyList<MailboxMessage>> Read(StoreDevice device) => Engine.Mailboxes.ReadAsync(device.Id, 0, 500, Now, None);

    /// <summary>Alice (leaf 0) with Bob (1) and Carol (2) added by one commit: the group is at epoch 1.</summary>
    protected async Task<(StoreDevice Alice, StoreDevice Bob, StoreDevice Carol, GroupId Group)> GroupOfThreeAsync()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync(), carol = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        var added = StoreFixtures.Accepted(await Engine.AddMembersAsync(group, alice, 0, 0, bob, carol));
        Assert.Equal(new HashSet<DeviceId> { bob.Id, carol.Id }, added.Recipients.ToHashSet());
        return (alice, bob, carol, group);
    }

    private static Username Name(string text) => Username.TryParse(text, out Username name) ? name : throw new ArgumentException(text);
}

public sealed class SqliteStoreContractTests : StoreContractTests
{
    protected override Task<StoreEngine> OpenAsync() => StoreEngine.SqliteAsync();

    protected override string ExpectedEngine => "sqlite";
}

public sealed class PostgresStoreContractTests : StoreContractTests
{
    protected override Task<StoreEngine> OpenAsync() => StoreEngine.PostgresAsync();

    protected override string ExpectedEngine => "postgres";
}
