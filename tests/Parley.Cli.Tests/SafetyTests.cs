using System.Text.Json;
using Parley.Client;
using Parley.Client.Network;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Cli.Tests;

/// <summary>Abuse reports, blocking and the operator's commands (docs/safety.md), end to end: the real <c>parley</c>
/// binary against the real server, started with an operator key.</summary>
public sealed class SafetyTests(OperatorServerFixture fixture) : IClassFixture<OperatorServerFixture>
{
    private string Server => fixture.Server.Address.ToString();

    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", Home(home), "--server", Server, .. args], null);

    private Task<CliResult> Admin(params string[] args) => Cli.RunAsync(["admin", .. args, "--server", Server, "--key", fixture.KeyFile], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static JsonElement Json(CliResult result) => Cli.Json(result);

    private async Task<(string Alice, string Bob)> TwoAccountsAsync()
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await Run(alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await Run(bob, "account", "create", bob)).ExitCode);
        return (alice, bob);
    }

    private static string Tablet(string account) => account + "-tablet";

    // Alice's group "book club" with Bob and Carol, joined on their devices (and on a second device of Bob's, linked
    // before the group was made, when asked).
    private async Task<(string Alice, string Bob, string Carol)> BookClubAsync(bool withTablet = false)
    {
        var (alice, bob) = await TwoAccountsAsync();
        string carol = Unique("carol");
        Assert.Equal(0, (await Run(carol, "account", "create", carol)).ExitCode);
        if (withTablet)
        {
            using var phone = OpenDevice(bob);
            using var request = ParleyClient.BeginLink();
            using var linked = await ParleyClient.CompleteLinkAsync(Home(Tablet(bob)), Cli.Passphrase, request, phone.ApproveDevice(request.Code),
                Devices.Options);
        }
        var created = await Run(alice, "group", "create", "book club", "--members", $"{bob},{carol}");
        Assert.True(created.ExitCode == 0, created.ToString());
        foreach (string device in withTablet ? [bob, carol, Tablet(bob)] : new[] { bob, carol })
        {
            Assert.Equal(0, (await Run(device, "receive")).ExitCode);
        }
        return (alice, bob, carol);
    }

    // In the book club Alice says "bob is boring", then Carol "chapter three tonight".
    private async Task AliceThenCarolAsync(string alice, string carol)
    {
        Assert.Equal(0, (await Run(alice, "send", "book club", "bob is boring")).ExitCode);
        Assert.Equal(0, (await Run(carol, "receive")).ExitCode);
        Assert.Equal(0, (await Run(carol, "send", "book club", "chapter three tonight")).ExitCode);
    }

    private ParleyClient OpenDevice(string name) => ParleyClient.Open(Home(name), Cli.Passphrase, fixture.Server.Address, Devices.Options);

    [Fact]
    public async Task Reported_text_and_file_are_verified_and_the_operator_sees_exactly_them()
    {
        var (alice, bob) = await TwoAccountsAsync();
        const string abuse = "nobody would miss you, you worthless idiot";
        Assert.Equal(0, (await Run(alice, "send", bob, abuse)).ExitCode);
        string file = Path.Combine(fixture.Root, "threat-" + Guid.NewGuid().ToString("N")[..6] + ".txt");
        await File.WriteAllTextAsync(file, string.Concat(Enumerable.Repeat("an abusive file, over several chunks\n", 4000)));
        var sentFile = await Run(alice, "send-file", bob, file, "--caption", "read this");
        Assert.True(sentFile.ExitCode == 0, sentFile.ToString());

        var inbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().ToList();
        string textId = inbox.Single(m => m.GetProperty("kind").GetString() == "text").GetProperty("id").GetString()!;
        string fileId = inbox.Single(m => m.GetProperty("kind").GetString() == "file").GetProperty("id").GetString()!;
        // The ids people report by are visible in the ordinary output too.
        Assert.Contains(textId, (await Run(bob, "history", alice, "--ids")).Output);

        var textReport = Json(await Run(bob, "report", alice, textId, "--reason", "harassment", "--comment", "this keeps happening", "--json"));
        Assert.True(textReport.GetProperty("verified").GetBoolean());
        Assert.Equal(alice, textReport.GetProperty("sender").GetString());
        var fileReport = Json(await Run(bob, "report", alice, fileId, "--reason", "illegal", "--json"));
        Assert.True(fileReport.GetProperty("verified").GetBoolean());
        string textReportId = textReport.GetProperty("reportId").GetString()!;
        string fileReportId = fileReport.GetProperty("reportId").GetString()!;

        var open = Json(await Admin("reports", "--json")).EnumerateArray().ToList();
        foreach (string id in new[] { textReportId, fileReportId })
        {
            var listed = open.Single(r => r.GetProperty("reportId").GetString() == id);
            Assert.True(listed.GetProperty("verified").GetBoolean());
            Assert.Equal(bob, listed.GetProperty("reporter").GetString());
            Assert.Equal(alice, listed.GetProperty("sender").GetString());
            Assert.Equal("open", listed.GetProperty("status").GetString());
        }

        var shown = Json(await Admin("report", "show", textReportId, "--json"));
        Assert.Equal(abuse, shown.GetProperty("text").GetString());
        Assert.Equal("text", shown.GetProperty("kind").GetString());
        Assert.Equal(alice, shown.GetProperty("sender").GetString());
        Assert.Equal(textId, shown.GetProperty("messageId").GetString());
        Assert.Equal("harassment", shown.GetProperty("reason").GetString());
        Assert.Equal("this keeps happening", shown.GetProperty("comment").GetString());
        Assert.True(shown.GetProperty("verified").GetBoolean());
        var human = await Admin("report", "show", textReportId);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains(abuse, human.Output);

        string evidence = Path.Combine(fixture.Root, "evidence-" + Guid.NewGuid().ToString("N")[..6]);
        var shownFile = Json(await Admin("report", "show", fileReportId, "--save-attachments", evidence, "--json"));
        Assert.Equal("read this", shownFile.GetProperty("text").GetString());
        var attachment = Assert.Single(shownFile.GetProperty("attachments").EnumerateArray());
        Assert.True(attachment.GetProperty("verified").GetBoolean());
        Assert.Equal(await File.ReadAllTextAsync(file), await File.ReadAllTextAsync(attachment.GetProperty("savedTo").GetString()!));

        Assert.Equal(0, (await Admin("report", "close", textReportId, "--resolution", "warned the sender")).ExitCode);
        Assert.DoesNotContain(Json(await Admin("reports", "--json")).EnumerateArray(), r => r.GetProperty("reportId").GetString() == textReportId);
        var closed = Json(await Admin("reports", "--all", "--json")).EnumerateArray().Single(r => r.GetProperty("reportId").GetString() == textReportId);
        Assert.Equal("closed", closed.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_forged_or_altered_report_is_refused()
    {
        var (alice, bob) = await TwoAccountsAsync();
        string carol = Unique("carol");
        Assert.Equal(0, (await Run(carol, "account", "create", carol)).ExitCode);
        Assert.Equal(0, (await Run(alice, "send", bob, "see you at five")).ExitCode);
        Assert.Equal(0, (await Run(alice, "send", bob, "bring the cake")).ExitCode);
        var inbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
        Assert.Equal(2, inbox.Count);

        ReportRequest genuine, other;
        using (var device = OpenDevice(bob))
        {
            var chat = device.GetConversation(alice);
            var evidence = device.ReportEvidenceOf(chat.Id, inbox[0]);
            var second = device.ReportEvidenceOf(chat.Id, inbox[1]);
            genuine = new ReportRequest(GroupIds.ToUrl(evidence.GroupId), evidence.MessageId, evidence.Envelope, evidence.Stamp, "harassment", null, [],
                evidence.SenderProof?.Encode());
            other = genuine with { MessageId = second.MessageId, Envelope = second.Envelope, Stamp = second.Stamp, SenderProof = second.SenderProof?.Encode() };

            // Sent sealed, the stamps name nobody: the sender's signature over the content must name the sender.
            Assert.NotNull(evidence.SenderProof);
            await AssertRefusedAsync(device, genuine with { SenderProof = null });
            await AssertRefusedAsync(device, genuine with { SenderProof = second.SenderProof!.Encode() });

            // The text changed after delivery: the sender's commitment no longer matches.
            byte[] altered = (byte[])evidence.Envelope.Clone();
            int at = altered.AsSpan().IndexOf("five"u8);
            "nine"u8.CopyTo(altered.AsSpan(at));
            await AssertRefusedAsync(device, genuine with { Envelope = altered });

            // A whole new message under the same id, franked with the forger's own key.
            byte[] invented = new ContentEnvelope(evidence.MessageId, DateTimeOffset.UtcNow, new TextContent("I will hurt you"), Franking.NewKey()).Encode();
            await AssertRefusedAsync(device, genuine with { Envelope = invented });

            // One message's stamp with another message.
            await AssertRefusedAsync(device, genuine with { Stamp = second.Stamp });
            await AssertRefusedAsync(device, genuine with { Envelope = second.Envelope });

            // A stamp that was tampered with.
            byte[] stamp = (byte[])evidence.Stamp.Clone();
            stamp[^1] ^= 1;
            await AssertRefusedAsync(device, genuine with { Stamp = stamp });
        }

        // Someone the message was not delivered to cannot report it, even holding the envelope and stamp.
        using (var device = OpenDevice(carol))
        {
            await AssertRefusedAsync(device, genuine);
        }

        // The untouched evidence still verifies, and nothing was stored for the refused ones.
        using (var device = OpenDevice(bob))
        {
            var receipt = await device.ServerClient.SubmitReportAsync(other);
            Assert.True(receipt.Verified);
            Assert.Equal(alice, receipt.Sender);
        }
        var reports = Json(await Admin("reports", "--all", "--json")).EnumerateArray().Where(r => r.GetProperty("reporter").GetString() == bob).ToList();
        Assert.Single(reports);

        // Your own message is not yours to report.
        var own = Json(await Run(alice, "history", bob, "--json")).EnumerateArray().First().GetProperty("id").GetString()!;
        Cli.AssertOneSentence(await Run(alice, "report", bob, own, "--reason", "spam"), "only report messages that other accounts sent");
    }

    private static async Task AssertRefusedAsync(ParleyClient device, ReportRequest request)
    {
        var refused = await Assert.ThrowsAsync<ServerProblemException>(() => device.ServerClient.SubmitReportAsync(request));
        Assert.Equal(422, refused.Status);
        Assert.Equal("invalid_report", refused.Code);
    }

    [Fact]
    public async Task A_message_that_could_not_be_reported_is_dropped_by_the_receiver()
    {
        var (alice, bob) = await TwoAccountsAsync();
        Assert.Equal(0, (await Run(alice, "send", bob, "hello")).ExitCode);
        Assert.Single(Json(await Run(bob, "receive", "--json")).EnumerateArray());

        using (var device = OpenDevice(alice))
        {
            var chat = device.GetConversation(bob);
            using var group = device.Store.LoadGroup(chat.Id);
            // No franking at all, and a franking commitment to some other envelope.
            byte[] unfranked = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent("unreportable one")).Encode();
            byte[] franked = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent("unreportable two"), Franking.NewKey()).Encode();
            byte[] decoy = new ContentEnvelope(ContentEnvelope.NewMessageId(), DateTimeOffset.UtcNow, new TextContent("harmless"), Franking.NewKey()).Encode();
            byte[] first = group.EncryptApplicationMessage(unfranked).ToBytes();
            byte[] second = group.EncryptApplicationMessage(franked, Franking.AadFor(decoy)).ToBytes();
            using (var transaction = device.Store.BeginTransaction())
            {
                transaction.SaveGroupState(chat.Id, group);
                transaction.Commit();
            }
            await device.ServerClient.SendMessageAsync(chat.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), first, null));
            await device.ServerClient.SendMessageAsync(chat.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), second, null));
        }
        Assert.Equal(0, (await Run(alice, "send", bob, "and a proper one")).ExitCode);

        var received = await Run(bob, "receive");
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Contains("and a proper one", received.Output);
        Assert.DoesNotContain("unreportable", received.Output);
        Assert.Equal(2, received.Output.Split('\n').Count(l => l.Contains("dropped") && l.Contains("franking")));
        Assert.Equal(["hello", "and a proper one"],
            Json(await Run(bob, "history", alice, "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_blocked_user_s_chat_messages_never_arrive_until_unblocked()
    {
        var (alice, bob) = await TwoAccountsAsync();
        Assert.Equal(0, (await Run(alice, "send", bob, "hi bob")).ExitCode);
        Assert.Single(Json(await Run(bob, "receive", "--json")).EnumerateArray());

        Assert.Equal(0, (await Run(bob, "block", alice)).ExitCode);
        Assert.Equal([alice], Json(await Run(bob, "blocks", "--json")).GetProperty("blocked").EnumerateArray().Select(e => e.GetString()));

        // The sender is not told: its message is accepted, and never delivered.
        var whileBlocked = await Run(alice, "send", bob, "why do you ignore me");
        Assert.True(whileBlocked.ExitCode == 0, whileBlocked.ToString());
        Assert.Empty(Json(await Run(bob, "receive", "--json")).EnumerateArray());
        using (var device = OpenDevice(bob))
        {
            Assert.Empty(await device.ServerClient.GetMailboxAsync());
        }

        Assert.Equal(0, (await Run(bob, "unblock", alice)).ExitCode);
        Assert.Empty(Json(await Run(bob, "blocks", "--json")).GetProperty("blocked").EnumerateArray());
        Assert.Equal(0, (await Run(alice, "send", bob, "sorry, hello again")).ExitCode);
        var after = Json(await Run(bob, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Equal(["sorry, hello again"], after);
        Assert.Equal(["hi bob", "sorry, hello again"],
            Json(await Run(bob, "history", alice, "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_blocked_user_s_group_messages_are_hidden_by_the_client()
    {
        var (alice, bob, carol) = await BookClubAsync();

        Assert.Equal(0, (await Run(bob, "block", alice)).ExitCode);
        // In a group the server still delivers (others must read it), so bob's device hides it, unread count included.
        Assert.Equal(0, (await Run(alice, "send", "book club", "bob is boring")).ExitCode);
        Assert.Empty(Json(await Run(bob, "receive", "--json")).EnumerateArray());
        Assert.Contains(Json(await Run(bob, "group", "list", "--json")).EnumerateArray(),
            c => c.GetProperty("name").GetString() == "book club" && c.GetProperty("unread").GetInt32() == 0);

        Assert.Equal(0, (await Run(carol, "receive")).ExitCode);
        Assert.Equal(0, (await Run(carol, "send", "book club", "chapter three tonight")).ExitCode);
        var inbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Equal(["chapter three tonight"], inbox);
        Assert.Equal(["chapter three tonight"], Json(await Run(bob, "history", "book club", "--json")).EnumerateArray()
            .Where(m => m.GetProperty("kind").GetString() == "text").Select(m => m.GetProperty("text").GetString()));

        // Unblocking shows new messages again.
        Assert.Equal(0, (await Run(bob, "unblock", alice)).ExitCode);
        Assert.Equal(0, (await Run(alice, "send", "book club", "sorry bob")).ExitCode);
        Assert.Equal(["sorry bob"], Json(await Run(bob, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_block_made_on_one_device_hides_messages_on_the_account_s_other_devices_at_their_next_sync()
    {
        var (alice, bob, carol) = await BookClubAsync(withTablet: true);
        string tablet = Tablet(bob);

        // Bob blocks Alice on his phone; the tablet never ran `parley blocks`.
        Assert.Equal(0, (await Run(bob, "block", alice)).ExitCode);
        await AliceThenCarolAsync(alice, carol);

        Assert.Equal(["chapter three tonight"],
            Json(await Run(tablet, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(["chapter three tonight"], Json(await Run(tablet, "history", "book club", "--json")).EnumerateArray()
            .Where(m => m.GetProperty("kind").GetString() == "text").Select(m => m.GetProperty("text").GetString()));
        // Nor does local search find it.
        Assert.Empty(Json(await Run(tablet, "search", "boring", "--json")).EnumerateArray());
        Assert.Single(Json(await Run(tablet, "search", "chapter", "--json")).EnumerateArray());
        using (var device = OpenDevice(tablet))
        {
            Assert.True(device.IsBlocked(alice));
        }

        // An unblock travels the same way.
        Assert.Equal(0, (await Run(bob, "unblock", alice)).ExitCode);
        Assert.Equal(0, (await Run(alice, "send", "book club", "sorry bob")).ExitCode);
        Assert.Equal(["sorry bob"], Json(await Run(tablet, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_sync_still_receives_when_the_block_list_cannot_be_fetched_and_keeps_the_local_list()
    {
        var (alice, bob, carol) = await BookClubAsync();
        Assert.Equal(0, (await Run(bob, "block", alice)).ExitCode);
        using (var other = OpenDevice(bob))
        {
            // As if another of Bob's devices unblocked her: only the server's list changes.
            await other.ServerClient.UnblockAsync(alice);
        }
        await AliceThenCarolAsync(alice, carol);

        using var failing = new FailingBlocksHandler();
        using var device = ParleyClient.Open(Home(bob), Cli.Passphrase, fixture.Server.Address, Devices.Options with { HttpHandler = failing });
        var report = await device.SyncAsync();

        // The sync went on with the list this device had.
        Assert.Equal(1, failing.Refused);
        Assert.Equal(["chapter three tonight"], report.Messages.Select(m => m.Message.Text));
        Assert.True(device.IsBlocked(alice));
    }

    [Fact]
    public async Task A_suspended_account_is_refused_until_restored_and_the_audit_log_shows_it()
    {
        var (alice, bob) = await TwoAccountsAsync();
        Assert.Equal(0, (await Run(alice, "send", bob, "before")).ExitCode);

        var suspended = await Admin("suspend", alice, "--reason", "spam waves");
        Assert.True(suspended.ExitCode == 0, suspended.ToString());
        Cli.AssertOneSentence(await Run(alice, "send", bob, "during"), "suspended");

        Assert.Equal(0, (await Admin("restore", alice)).ExitCode);
        var back = await Run(alice, "send", bob, "after");
        Assert.True(back.ExitCode == 0, back.ToString());
        var inbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
        Assert.Equal(["before", "after"], inbox);

        var audit = Json(await Admin("audit", "--json"));
        Assert.True(audit.GetProperty("intact").GetBoolean());
        var entries = audit.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("target").GetString() == alice).ToList();
        Assert.Equal(["account.suspend", "account.restore"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal("spam waves", entries[0].GetProperty("reason").GetString());
        var human = await Admin("audit");
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains("is intact", human.Output);
    }

    [Fact]
    public async Task A_taken_down_public_channel_or_post_is_no_longer_served_until_restored()
    {
        string alice = Unique("alice"), reader = Unique("reader");
        Assert.Equal(0, (await Run(alice, "account", "create", alice)).ExitCode);
        string name = "news-" + alice[^6..];
        Assert.Equal(0, (await Run(alice, "channel", "create", name, "--public", "--title", "News")).ExitCode);
        string bad = Json(await Run(alice, "channel", "post", name, "a post that breaks the rules", "--json")).GetProperty("id").GetString()!;
        Assert.Equal(0, (await Run(alice, "channel", "post", name, "an ordinary post")).ExitCode);

        Assert.Equal(0, (await Admin("takedown", name, "--post", bad, "--reason", "doxxing")).ExitCode);
        var posts = Json(await Run(reader, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray();
        Assert.Equal(["an ordinary post"], posts.Select(p => p.GetProperty("text").GetString()));

        Assert.Equal(0, (await Admin("takedown", name, "--reason", "repeated doxxing")).ExitCode);
        var gone = await Run(reader, "channel", "read", name);
        Assert.True(gone.ExitCode != 0, gone.ToString());
        Assert.DoesNotContain("an ordinary post", gone.Output);

        Assert.Equal(0, (await Admin("restore-channel", name, "--reason", "appeal granted")).ExitCode);
        var back = Json(await Run(reader, "channel", "read", name, "--json")).GetProperty("posts").EnumerateArray();
        Assert.Equal(["an ordinary post"], back.Select(p => p.GetProperty("text").GetString()));

        var audit = Json(await Admin("audit", "--json"));
        Assert.True(audit.GetProperty("intact").GetBoolean());
        var actions = audit.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString()!.StartsWith(name, StringComparison.Ordinal))
            .Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["public_post.takedown", "public_channel.takedown", "public_channel.restore"], actions);
    }

    [Fact]
    public async Task Operator_commands_without_the_right_key_fail_with_one_sentence()
    {
        string stranger = Path.Combine(fixture.Root, "stranger-" + Guid.NewGuid().ToString("N")[..6] + ".key");
        Assert.Equal(0, (await Cli.RunAsync("admin", "keygen", "--out", stranger)).ExitCode);
        Cli.AssertOneSentence(await Cli.RunAsync("admin", "reports", "--server", Server, "--key", stranger), "refused the operator signature");
        Cli.AssertOneSentence(await Cli.RunAsync("admin", "reports", "--server", Server), "--key FILE");
        Cli.AssertOneSentence(await Cli.RunAsync("admin", "keygen", "--out", stranger), "already exists");
        Cli.AssertOneSentence(await Admin("report", "show", "no-such-report"), "report");
        Cli.AssertOneSentence(await Admin("suspend", "nobody" + Guid.NewGuid().ToString("N")[..6], "--reason", "x"), "nobody");
    }

    /// <summary>Answers every block list request with a server error, as an overloaded server might.</summary>
    private sealed class FailingBlocksHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Refused { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath == "/v1/blocks")
            {
                Refused++;
                return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable));
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
