using System.Security.Cryptography;
using Npgsql;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Blocking;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.Groups;
using Parley.Server.Mailboxes;
using Parley.Server.Moderation;
using Parley.Server.Reports;
using Parley.Server.Tests;
using ContentFranking = Parley.Content.Franking;

namespace Parley.Server.Postgres.Tests;

/// <summary>The contract of the safety stores (blocks, reports, suspensions, the audit log, server secrets) and of
/// stamping and blocking inside a submission, run once per engine.</summary>
public abstract class SafetyStoreContractTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private StoreEngine? _engine;

    protected StoreEngine Engine => _engine!;

    protected abstract Task<StoreEngine> OpenAsync();

    public async Task InitializeAsync() => _engine = await OpenAsync();

    public async Task DisposeAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_operator_nonce_is_spent_once_and_forgotten_when_its_window_has_passed()
    {
        var nonces = Engine.Get<OperatorNonces>();
        DateTimeOffset now = Engine.Clock.GetUtcNow();

        Assert.True(await nonces.TryUseAsync("nonce-a", now, None));
        Assert.False(await nonces.TryUseAsync("nonce-a", now + TimeSpan.FromSeconds(1), None));
        Assert.False(await nonces.TryUseAsync("nonce-a", now + OperatorNonces.Window - TimeSpan.FromSeconds(1), None));
        Assert.True(await nonces.TryUseAsync("nonce-b", now, None));

        // Past the window the row is pruned, so the table holds only nonces a replay could still use.
        Assert.True(await nonces.TryUseAsync("nonce-a", now + OperatorNonces.Window, None));
    }

    [Fact]
    public async Task Blocks_are_kept_per_account_listed_by_username_and_lifted()
    {
        StoreDevice bob = await Engine.RegisterAsync("bob"), alice = await Engine.RegisterAsync("alice"), carol = await Engine.RegisterAsync("carol");
        var blocks = Engine.Get<IBlockStore>();

        await blocks.BlockAsync(bob.Account, carol.Account, None);
        await blocks.BlockAsync(bob.Account, alice.Account, None);
        await blocks.BlockAsync(bob.Account, alice.Account, None);

        Assert.Equal(["alice", "carol"], await blocks.ListAsync(bob.Account, None));
        Assert.Empty(await blocks.ListAsync(alice.Account, None));
        Assert.True(await blocks.UnblockAsync(bob.Account, carol.Account, None));
        Assert.False(await blocks.UnblockAsync(bob.Account, carol.Account, None));
        Assert.Equal(["alice"], await blocks.ListAsync(bob.Account, None));
        Assert.True(await blocks.BlocksAsync(bob.Account, alice.Account, None));
        Assert.False(await blocks.BlocksAsync(bob.Account, carol.Account, None));
        Assert.False(await blocks.BlocksAsync(alice.Account, bob.Account, None));
    }

    [Fact]
    public async Task A_submission_withholds_a_blocked_senders_one_to_one_messages_and_welcomes_but_not_group_messages()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync(), carol = await Engine.RegisterAsync();
        await Engine.Get<IBlockStore>().BlockAsync(bob.Account, alice.Account, None);

        GroupId direct = await Engine.CreateGroupAsync(alice);
        var added = StoreFixtures.Accepted(await Engine.AddMembersAsync(direct, alice, 0, 0, bob));
        Assert.Empty(added.Recipients);
        var message = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Franked(direct, alice, 1, "hi", out _), None));
        Assert.Empty(message.Recipients);
        Assert.Empty(await ReadAsync(bob));

        GroupId larger = await Engine.CreateGroupAsync(carol);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(larger, carol, 0, 0, alice, bob));
        await DrainAsync(alice, bob);
        var groupMessage = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Franked(larger, alice, 1, "hi-all", out _), None));
        Assert.Equal([bob.Id, carol.Id], groupMessage.Recipients.OrderBy(d => d.Value == carol.Id.Value));
    }

    [Fact]
    public async Task A_franked_application_message_gets_a_stamp_per_recipient_and_other_messages_none()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        StoreDevice bobLaptop = await Engine.AddDeviceAsync(bob.Account);
        GroupId group = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(group, alice, 0, 0, bob, bobLaptop));
        await DrainAsync(bob, bobLaptop);

        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Franked(group, alice, 1, "stamped", out byte[] envelope), None));
        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Engine.Application(group, alice, 1, "plain"), None));

        var stamper = Engine.Get<FrankingStamper>();
        foreach (StoreDevice device in new[] { bob, bobLaptop })
        {
            IReadOnlyList<MailboxMessage> mail = await ReadAsync(device);
            MailboxMessage stamped = Assert.Single(mail, m => m.Id == "stamped");
            Assert.True(stamper.TryOpen(stamped.Stamp, out FrankingStamp? stamp));
            Assert.Equal((alice.Account, alice.Id, device.Id, group), (stamp!.SenderAccount, stamp.SenderDevice, stamp.RecipientDevice, stamp.GroupId));
            Assert.True(ContentFranking.Verify(envelope, stamp.Commitment));
            Assert.Null(Assert.Single(mail, m => m.Id == "plain").Stamp);
        }
    }

    [Fact]
    public async Task A_report_is_stored_with_its_evidence_retained_listed_newest_first_and_closed_once()
    {
        StoreDevice alice = await Engine.RegisterAsync("alice"), bob = await Engine.RegisterAsync("bob");
        BlobId evidence = await CompleteBlobAsync(bob);
        var reports = Engine.Get<IReportStore>();
        Report first = NewReport(bob, alice, [new ReportAttachment(0, evidence, true)]);

        Assert.Equal(CreateReportOutcome.Created, await reports.CreateAsync(first, None));
        Engine.Clock.Advance(TimeSpan.FromSeconds(1));
        Report second = NewReport(bob, alice, []) with { ReportedAt = Engine.Clock.GetUtcNow() };
        Assert.Equal(CreateReportOutcome.Created, await reports.CreateAsync(second, None));

        Assert.Equal([second.Id, first.Id], (await reports.ListAsync(true, 10, None)).Select(r => r.Report.Id));
        ReportView found = (await reports.FindAsync(first.Id, None))!;
        Assert.Equal(("bob", "alice"), (found.ReporterUsername, found.SenderUsername));
        Assert.Equal(first.Envelope, found.Report.Envelope);
        Assert.Equal(first.Stamp, found.Report.Stamp);
        Assert.Equal(first.AcceptedAt.ToUnixTimeMilliseconds(), found.Report.AcceptedAt.ToUnixTimeMilliseconds());
        Assert.Equal(new ReportAttachment(0, evidence, true), Assert.Single(found.Report.Attachments));
        Assert.True(found.Report.Open);

        // Retained: far beyond any retention, and no longer the reporter's to delete or count against its quota.
        BlobRecord blob = (await Engine.Blobs.FindAsync(evidence.Key, Engine.Clock.GetUtcNow() + TimeSpan.FromDays(36500), None))!;
        Assert.NotEqual(bob.Id, blob.Uploader);
        Assert.DoesNotContain(evidence.Key, await Engine.Blobs.ListExpiredAsync(Engine.Clock.GetUtcNow() + TimeSpan.FromDays(36500), 100, None));

        Assert.True(await reports.CloseAsync(first.Id, "warned", None));
        Assert.False(await reports.CloseAsync(first.Id, "again", None));
        Assert.False(await reports.CloseAsync("no-such-report", "x", None));
        Assert.Equal([second.Id], (await reports.ListAsync(true, 10, None)).Select(r => r.Report.Id));
        ReportView closed = (await reports.FindAsync(first.Id, None))!;
        Assert.Equal((false, "warned"), (closed.Report.Open, closed.Report.Resolution));
        Assert.Null(await reports.FindAsync("no-such-report", None));
    }

    [Fact]
    public async Task A_closed_report_and_its_evidence_go_once_its_retention_has_passed_and_an_open_one_stays()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        BlobId evidence = await CompleteBlobAsync(bob);
        var reports = Engine.Get<IReportStore>();
        Report closed = NewReport(bob, alice, [new ReportAttachment(0, evidence, true)]);
        Report open = NewReport(bob, alice, []);
        Assert.Equal(CreateReportOutcome.Created, await reports.CreateAsync(closed, None));
        Assert.Equal(CreateReportOutcome.Created, await reports.CreateAsync(open, None));
        Assert.True(await reports.CloseAsync(closed.Id, "warned", None));
        DateTimeOffset closedAt = Engine.Clock.GetUtcNow();

        // Not yet: closed after the cut-off.
        Assert.Equal(0, await reports.DeleteClosedAsync(closedAt - TimeSpan.FromSeconds(1), None));
        Assert.NotNull(await reports.FindAsync(closed.Id, None));

        Engine.Clock.Advance(TimeSpan.FromDays(91));
        Assert.Equal(1, await reports.DeleteClosedAsync(Engine.Clock.GetUtcNow() - TimeSpan.FromDays(90), None));

        Assert.Null(await reports.FindAsync(closed.Id, None));
        Assert.Equal([open.Id], (await reports.ListAsync(false, 10, None)).Select(r => r.Report.Id));
        // The evidence blob is handed to the blob sweep, which deletes its file.
        Assert.Contains(evidence.Key, await Engine.Blobs.ListExpiredAsync(Engine.Clock.GetUtcNow(), 100, None));
        Assert.Equal(0, await reports.DeleteClosedAsync(Engine.Clock.GetUtcNow(), None));
    }

    [Fact]
    public async Task A_report_whose_evidence_expired_stores_nothing()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        BlobId kept = await CompleteBlobAsync(bob);
        BlobId expiring = await CompleteBlobAsync(bob);
        var reports = Engine.Get<IReportStore>();
        Assert.Equal(CreateReportOutcome.Created, await reports.CreateAsync(NewReport(bob, alice, [new ReportAttachment(0, kept, true)]), None));
        Engine.Clock.Advance(TimeSpan.FromDays(2));

        // Retained evidence may be named again; an expired blob cannot be retained, and then nothing is.
        Assert.Equal(CreateReportOutcome.Created, await reports.CreateAsync(NewReport(bob, alice, [new ReportAttachment(0, kept, true)]), None));
        Report report = NewReport(bob, alice, [new ReportAttachment(0, kept, true), new ReportAttachment(1, expiring, true)]);
        Assert.Equal(CreateReportOutcome.EvidenceGone, await reports.CreateAsync(report, None));
        Assert.Null(await reports.FindAsync(report.Id, None));
        Assert.Equal(2, (await reports.ListAsync(false, 10, None)).Count);
        Assert.Contains(expiring.Key, await Engine.Blobs.ListExpiredAsync(Engine.Clock.GetUtcNow(), 100, None));
    }

    [Fact]
    public async Task Suspensions_are_recorded_once_listed_and_lifted()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        var suspensions = Engine.Get<ISuspensionStore>();

        Assert.True(await suspensions.SuspendAsync(bob.Account, "spam", Engine.Clock.GetUtcNow(), None));
        Assert.False(await suspensions.SuspendAsync(bob.Account, "again", Engine.Clock.GetUtcNow(), None));
        Assert.Equal([bob.Account], await suspensions.ListAsync(None));
        Assert.False(await suspensions.RestoreAsync(alice.Account, None));
        Assert.True(await suspensions.RestoreAsync(bob.Account, None));
        Assert.Empty(await suspensions.ListAsync(None));
    }

    [Fact]
    public async Task The_audit_log_chains_every_append_even_when_they_race()
    {
        var audit = Engine.Get<IAuditLog>();
        AuditEntry first = await audit.AppendAsync("account.suspend", "bob", "spam", None);
        Assert.Equal(1, first.Sequence);
        Assert.Equal(AuditChain.Next(AuditChain.Genesis, first), first.Hash);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => audit.AppendAsync("report.close", $"r{i}", "done", None)));

        IReadOnlyList<AuditEntry> all = await audit.ReadAsync(0, 100, None);
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal(first, all[0] with { Hash = first.Hash });
        Assert.Null(AuditChain.FirstBroken(all, AuditChain.Genesis));
        IReadOnlyList<AuditEntry> page = await audit.ReadAsync(10, 5, None);
        Assert.Equal([11L, 12, 13, 14, 15], page.Select(e => e.Sequence));
        Assert.Null(AuditChain.FirstBroken(page, all[9].Hash));
    }

    [Fact]
    public async Task A_server_secret_is_created_once()
    {
        var secrets = Engine.Get<IServerSecrets>();
        byte[] first = secrets.GetOrCreate("test.key", () => RandomNumberGenerator.GetBytes(32));
        byte[] second = secrets.GetOrCreate("test.key", () => RandomNumberGenerator.GetBytes(32));
        Assert.Equal(first, second);
        Assert.Equal(32, first.Length);
    }

    [Fact]
    public async Task Once_every_copy_is_delivered_nothing_stored_names_the_message_or_holds_its_payload_or_stamp()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync(), carol = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(group, alice, 0, 0, bob, carol));
        var delivered = new List<(string Id, byte[] Message, byte[] Stamp)>();
        for (int i = 0; i < 6; i++)
        {
            string id = $"gone-{Guid.NewGuid():N}";
            GroupSubmission submission = Franked(group, i % 2 == 0 ? alice : bob, 1, id, out _);
            StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(submission, None));
            MailboxMessage copy = Assert.Single(await ReadAsync(carol), m => m.Id == id);
            delivered.Add((id, submission.Message, copy.Stamp!));
        }
        await DrainAsync(alice, bob, carol);
        string waiting = $"waiting-{Guid.NewGuid():N}";
        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Franked(group, alice, 1, waiting, out _), None));
        await DrainAsync(alice, bob);
        await SettleAsync();
        // Past the window in which a rerun fan-out must still recognise an acknowledged copy, and one sweep.
        Engine.Clock.Advance(TimeSpan.FromMinutes(20));
        await Engine.Mailboxes.DeleteExpiredAsync(Engine.Clock.GetUtcNow(), None);

        Func<byte[], bool> stored = await SnapshotAsync();
        foreach (var (id, message, stamp) in delivered)
        {
            Assert.False(stored(System.Text.Encoding.UTF8.GetBytes(id)), $"The id {id} of a delivered message is still stored.");
            Assert.False(stored(message[^40..]), $"The payload of {id} is still stored.");
            Assert.False(stored(stamp[^32..]), $"A stamp of {id} is still stored.");
        }
        Assert.True(stored(System.Text.Encoding.UTF8.GetBytes(waiting)), "An undelivered copy must be kept.");
    }

    [Fact]
    public async Task A_sealed_send_reaches_every_member_device_without_a_stamped_sender_and_once_delivered_nothing_stored_links_it_to_a_device()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync(), carol = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        byte[] deliveryKey = SealedSender.DeliveryKey(SealedSender.NewSeed());
        StoreFixtures.Accepted(await AddMembersAnnouncingAsync(group, alice, deliveryKey, bob, carol));
        await DrainAsync(alice, bob, carol);

        var foreign = Assert.IsType<SubmissionOutcome.Rejected>(
            await Engine.Groups.SubmitAsync(Sealed(group, 1, "foreign", SealedSender.DeliveryKey(SealedSender.NewSeed()), out _), None));
        Assert.Equal(RejectionReason.InvalidDeliveryCredential, foreign.Reason);
        var oldEpoch = Assert.IsType<SubmissionOutcome.Rejected>(await Engine.Groups.SubmitAsync(Sealed(group, 0, "old", deliveryKey, out _), None));
        Assert.Equal(RejectionReason.InvalidDeliveryCredential, oldEpoch.Reason);

        var stamper = Engine.Get<FrankingStamper>();
        var delivered = new List<(string Id, GroupSubmission Submission, byte[] Stamp)>();
        for (int i = 0; i < 4; i++)
        {
            string id = $"sealed-{Guid.NewGuid():N}";
            GroupSubmission submission = Sealed(group, 1, id, deliveryKey, out _);
            var accepted = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(submission, None));
            Assert.Equal(new[] { alice, bob, carol }.Select(d => d.Id.Value).Order(), accepted.Recipients.Select(d => d.Value).Order());
            Assert.True(StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(submission, None)).Repeated);
            MailboxMessage copy = Assert.Single(await ReadAsync(carol), m => m.Id == id);
            Assert.True(stamper.TryOpen(copy.Stamp, out FrankingStamp? stamp));
            Assert.True(stamp!.SenderUnnamed);
            delivered.Add((id, submission, copy.Stamp!));
        }
        await DrainAsync(alice, bob, carol);
        await SettleAsync();
        Engine.Clock.Advance(TimeSpan.FromMinutes(20));
        await Engine.Mailboxes.DeleteExpiredAsync(Engine.Clock.GetUtcNow(), None);

        Func<byte[], bool> stored = await SnapshotAsync();
        foreach (var (id, submission, stamp) in delivered)
        {
            Assert.False(stored(System.Text.Encoding.UTF8.GetBytes(id)), $"The id {id} of a delivered sealed message is still stored.");
            Assert.False(stored(submission.Message[^40..]), $"The payload of {id} is still stored.");
            Assert.False(stored(stamp[^32..]), $"A stamp of {id} is still stored.");
            foreach (StoreDevice device in new[] { alice, bob, carol })
            {
                Assert.False(stored(GroupSubmission.SendKeyOf(device.Id, id)), $"A send record names a device as the sender of {id}.");
            }
        }
    }

    [Fact]
    public async Task In_a_one_to_one_with_a_block_sealed_copies_are_withheld_from_the_blocker_only()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        StoreDevice alicePhone = await Engine.AddDeviceAsync(alice.Account);
        await Engine.Get<IBlockStore>().BlockAsync(bob.Account, alice.Account, None);
        GroupId direct = await Engine.CreateGroupAsync(alice);
        byte[] deliveryKey = SealedSender.DeliveryKey(SealedSender.NewSeed());
        StoreFixtures.Accepted(await AddMembersAnnouncingAsync(direct, alice, deliveryKey, alicePhone, bob));

        var sent = StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Sealed(direct, 1, "from-either", deliveryKey, out _), None));

        Assert.Equal(new[] { alice.Id.Value, alicePhone.Id.Value }.Order(), sent.Recipients.Select(d => d.Value).Order());
    }

    private async Task<SubmissionOutcome> AddMembersAnnouncingAsync(GroupId group, StoreDevice committer, byte[] deliveryKey, params StoreDevice[] joiners)
    {
        KeyPackage[] packages = joiners.Select(j => TestMls.KeyPackageRecord(j.Id.Value, j.Key)).ToArray();
        byte[] commit = TestMls.Commit(StoreFixtures.Bytes(group), 0, 0, packages.Select(p => (Proposal)new Add(p)).ToArray());
        return await Engine.Groups.SubmitAsync(Engine.Commit(group, committer, commit, TestMls.Welcome(packages)) with { NextDeliveryKey = deliveryKey },
            None);
    }

    /// <summary>A franked sealed send under <paramref name="deliveryKey"/> (whose signature the endpoint would have checked).</summary>
    private GroupSubmission Sealed(GroupId group, ulong epoch, string id, byte[] deliveryKey, out byte[] envelope)
    {
        var franked = Franked(group, new StoreDevice(default, GroupSubmission.SealedSender, null!), epoch, id, out envelope);
        return franked with { SealedKey = deliveryKey };
    }

    /// <summary>Waits for work the engine finishes after answering (PostgreSQL marks fan-outs done in the background).</summary>
    protected virtual Task SettleAsync() => Task.CompletedTask;

    /// <summary>Everything the engine has stored, as a test of whether some bytes occur in it.</summary>
    protected abstract Task<Func<byte[], bool>> SnapshotAsync();

    protected Task<IReadOnlyList<MailboxMessage>> ReadAsync(StoreDevice device)
        => Engine.Mailboxes.ReadAsync(device.Id, 0, 500, Engine.Clock.GetUtcNow(), None);

    private async Task DrainAsync(params StoreDevice[] devices)
    {
        foreach (StoreDevice device in devices)
        {
            foreach (MailboxMessage message in await ReadAsync(device))
            {
                await Engine.Mailboxes.AcknowledgeAsync(device.Id, message.Id, None);
            }
        }
    }

    /// <summary>A franked PrivateMessage submission whose authenticated_data commits to a text envelope.</summary>
    protected GroupSubmission Franked(GroupId group, StoreDevice sender, ulong epoch, string id, out byte[] envelope)
    {
        envelope = new ContentEnvelope(id, DateTimeOffset.UtcNow, new TextContent("text of " + id), ContentFranking.NewKey()).Encode();
        byte[] message = new MlsMessage(new PrivateMessage(StoreFixtures.Bytes(group), epoch, ContentType.Application,
            ContentFranking.AadFor(envelope), RandomNumberGenerator.GetBytes(40), RandomNumberGenerator.GetBytes(100))).ToBytes();
        return new GroupSubmission(group, sender.Id, id, GroupMessageKind.Application, epoch, message, null, null, null,
            Engine.Clock.GetUtcNow() + TimeSpan.FromDays(30));
    }

    private async Task<BlobId> CompleteBlobAsync(StoreDevice uploader)
    {
        BlobId id = BlobId.New();
        DateTimeOffset now = Engine.Clock.GetUtcNow();
        Assert.Equal(CreateBlobOutcome.Created,
            await Engine.Blobs.CreateAsync(new BlobRecord(id.Key, uploader.Id, 10, 0, now + TimeSpan.FromDays(1)), 1 << 20, now, None));
        Assert.True(await Engine.Blobs.RecordReceivedAsync(id.Key, 10, now + TimeSpan.FromDays(1), None));
        return id;
    }

    private Report NewReport(StoreDevice reporter, StoreDevice sender, IReadOnlyList<ReportAttachment> attachments)
        => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), reporter.Account, sender.Account, sender.Id,
            GroupId.FromBytes([1, 2, 3]), "message-1", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), Engine.Clock.GetUtcNow(),
            "spam", "a comment", RandomNumberGenerator.GetBytes(80), RandomNumberGenerator.GetBytes(120), attachments);
}

public sealed class SqliteSafetyStoreContractTests : SafetyStoreContractTests
{
    protected override Task<StoreEngine> OpenAsync() => StoreEngine.SqliteAsync();

    /// <summary>The bytes of every file in the data folder: the database, its WAL and free pages included.</summary>
    protected override Task<Func<byte[], bool>> SnapshotAsync()
    {
        using var all = new MemoryStream();
        foreach (string file in Directory.GetFiles(Engine.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }
        byte[] bytes = all.ToArray();
        return Task.FromResult<Func<byte[], bool>>(needle => bytes.AsSpan().IndexOf(needle) >= 0);
    }
}

public sealed class PostgresSafetyStoreContractTests : SafetyStoreContractTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected override Task<StoreEngine> OpenAsync() => StoreEngine.PostgresAsync();

    protected override Task SettleAsync() => WaitUntilAsync("SELECT NOT EXISTS (SELECT 1 FROM group_sends WHERE message IS NOT NULL)");

    /// <summary>Every live row of every table as text (bytea as hex). Dead rows PostgreSQL has not vacuumed yet are not
    /// seen here (docs/privacy.md, "PostgreSQL").</summary>
    protected override async Task<Func<byte[], bool>> SnapshotAsync()
    {
        await using var connection = new NpgsqlConnection(Engine.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new System.Text.StringBuilder();
        foreach (string table in tables)
        {
            await using var rows = new NpgsqlCommand($"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{table}\" t", connection);
            dump.Append(await rows.ExecuteScalarAsync()).Append('\n');
        }
        string text = dump.ToString();
        return needle => text.Contains(Convert.ToHexStringLower(needle), StringComparison.Ordinal)
            || text.Contains(System.Text.Encoding.UTF8.GetString(needle), StringComparison.Ordinal);
    }
    [Fact]
    public async Task An_operator_nonce_spent_on_one_node_is_refused_on_another()
    {
        await using StoreEngine other = Engine.OpenAnotherNode();
        DateTimeOffset now = Engine.Clock.GetUtcNow();

        Assert.True(await Engine.Get<OperatorNonces>().TryUseAsync("spent-here", now, None));

        Assert.False(await other.Get<OperatorNonces>().TryUseAsync("spent-here", now, None));
        // Two nodes racing on one fresh nonce: exactly one accepts it.
        bool[] raced = await Task.WhenAll(
            Task.Run(() => Engine.Get<OperatorNonces>().TryUseAsync("raced", now, None)),
            Task.Run(() => other.Get<OperatorNonces>().TryUseAsync("raced", now, None)));
        Assert.Single(raced, r => r);
    }

    [Fact]
    public async Task Every_node_shares_the_franking_key_and_audit_chain()
    {
        await using StoreEngine other = Engine.OpenAnotherNode();
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(group, alice, 0, 0, bob));
        StoreFixtures.Accepted(await Engine.Groups.SubmitAsync(Franked(group, alice, 1, "shared", out _), None));
        MailboxMessage stamped = Assert.Single(await ReadAsync(bob), m => m.Id == "shared");
        Assert.True(other.Get<FrankingStamper>().TryOpen(stamped.Stamp, out _));

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            (i % 2 == 0 ? Engine : other).Get<IAuditLog>().AppendAsync("report.close", $"r{i}", "", None)));
        IReadOnlyList<AuditEntry> all = await other.Get<IAuditLog>().ReadAsync(0, 100, None);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Null(AuditChain.FirstBroken(all, AuditChain.Genesis));
    }

    [Fact]
    public async Task A_version_1_database_is_migrated_to_stamped_mailboxes_and_a_pending_fan_out_keeps_its_stamps()
    {
        StoreDevice alice = await Engine.RegisterAsync(), bob = await Engine.RegisterAsync();
        GroupId group = await Engine.CreateGroupAsync(alice);
        StoreFixtures.Accepted(await Engine.AddMembersAsync(group, alice, 0, 0, bob));
        // As a version-1 database looked: no stamp columns.
        await ExecuteAsync("ALTER TABLE mailbox DROP COLUMN stamp; ALTER TABLE group_sends DROP COLUMN stamps; UPDATE schema_version SET version = 1");

        await using StoreEngine upgraded = Engine.OpenAnotherNode();
        await using StoreEngine again = Engine.OpenAnotherNode();

        Assert.Equal(Parley.Server.Storage.Postgres.PostgresSchema.Version, (int)(await ScalarAsync("SELECT max(version) FROM schema_version"))!);
        Assert.Single(await upgraded.Mailboxes.ReadAsync(bob.Id, 0, 10, upgraded.Clock.GetUtcNow(), None));
        StoreFixtures.Accepted(await upgraded.Groups.SubmitAsync(Franked(group, alice, 1, "after-upgrade", out _), None));
        MailboxMessage message = Assert.Single(await upgraded.Mailboxes.ReadAsync(bob.Id, 0, 10, upgraded.Clock.GetUtcNow(), None),
            m => m.Id == "after-upgrade");
        Assert.NotNull(message.Stamp);

        // A fan-out finished by recovery writes the stamps recorded with the send. The accepting node marks its own
        // fan-out done in the background; wait for that first, or it would clear the row the test is about to reset.
        // Marked done, the row keeps only its send key (the message id goes with the payload).
        byte[] sendKey = GroupSubmission.SendKeyOf(alice.Id, "after-upgrade");
        await WaitUntilAsync("SELECT message IS NULL AND message_id IS NULL FROM group_sends WHERE send_key = $1", sendKey);
        await ExecuteAsync("DELETE FROM mailbox WHERE message_id = 'after-upgrade'");
        await ExecuteAsync("UPDATE group_sends SET accepted_at = 0, message_id = 'after-upgrade', message = $1, recipients = ARRAY[$2], " +
            "stamps = ARRAY[$3::bytea] WHERE send_key = $4", message.Message, bob.Id.Value, message.Stamp!, sendKey);
        Assert.Equal(1, await upgraded.Get<Parley.Server.Storage.Postgres.PostgresFanoutRecovery>().RecoverAsync(upgraded.Clock.GetUtcNow(), None));
        Assert.Equal(message.Stamp, Assert.Single(await upgraded.Mailboxes.ReadAsync(bob.Id, 0, 10, upgraded.Clock.GetUtcNow(), None),
            m => m.Id == "after-upgrade").Stamp);
    }

    private async Task ExecuteAsync(string sql, params object[] arguments) => await ScalarAsync(sql, arguments);

    private async Task WaitUntilAsync(string condition, params object[] arguments)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(bool)(await ScalarAsync(condition, arguments))!)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Still false after 10 s: {condition}");
            await Task.Delay(20);
        }
    }

    private async Task<object?> ScalarAsync(string sql, params object[] arguments)
    {
        await using var connection = new NpgsqlConnection(Engine.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object argument in arguments)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        }
        object? value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }
}
