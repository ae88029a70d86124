using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Moderation;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Tests;

public sealed class ModerationTests : IAsyncLifetime
{
    private readonly TestOperator _operator = new();
    private readonly ServerFactory _server;

    public ModerationTests() => _server = new ServerFactory(settings: _operator.Settings);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Without_an_operator_key_every_admin_endpoint_is_disabled()
    {
        await using var server = new ServerFactory();
        using var response = await _operator.GetAsync(server, "/v1/admin/reports");
        Assert.Equal((403, "operator_disabled"), Short(await TestHttp.ProblemAsync(response)));
        using var audit = await _operator.GetAsync(server, "/v1/admin/audit");
        Assert.Equal((403, "operator_disabled"), Short(await TestHttp.ProblemAsync(audit)));
    }

    [Fact]
    public async Task A_correctly_signed_fresh_request_is_served()
    {
        using var response = await _operator.GetAsync(_server, "/v1/admin/reports?status=all");
        Assert.Empty((await TestOperator.ReadAsync<ReportListResponse>(response)).Reports);
    }

    [Fact]
    public async Task A_signed_request_accepted_once_is_refused_after_a_restart()
    {
        string nonce = TestOperator.NewNonce();
        string directory;
        long time;
        await using (var first = new ServerFactory(settings: _operator.Settings) { KeepData = true })
        {
            directory = first.DataDirectory;
            time = first.Time.GetUtcNow().ToUnixTimeSeconds();
            using var accepted = await _operator.SendAsync(first, HttpMethod.Get, "/v1/admin/audit", unixSeconds: time, nonce: nonce);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        // The same bytes, well inside the clock-skew window, to a fresh process over the same data folder.
        await using var second = new ServerFactory(directory, _operator.Settings);
        using var replay = await _operator.SendAsync(second, HttpMethod.Get, "/v1/admin/audit", unixSeconds: time, nonce: nonce);
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(replay)));
        using var fresh = await _operator.SendAsync(second, HttpMethod.Get, "/v1/admin/audit", unixSeconds: time);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task Requests_with_a_wrong_key_a_replayed_nonce_or_a_stale_time_are_refused()
    {
        var stranger = new TestOperator();
        using var wrongKey = await stranger.GetAsync(_server, "/v1/admin/reports");
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(wrongKey)));

        string nonce = TestOperator.NewNonce();
        using var first = await _operator.SendAsync(_server, HttpMethod.Get, "/v1/admin/audit", nonce: nonce);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replay = await _operator.SendAsync(_server, HttpMethod.Get, "/v1/admin/audit", nonce: nonce);
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(replay)));

        long now = _server.Time.GetUtcNow().ToUnixTimeSeconds();
        using var stale = await _operator.SendAsync(_server, HttpMethod.Get, "/v1/admin/audit", unixSeconds: now - 301);
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(stale)));
        using var future = await _operator.SendAsync(_server, HttpMethod.Get, "/v1/admin/audit", unixSeconds: now + 301);
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(future)));
        using var edge = await _operator.SendAsync(_server, HttpMethod.Get, "/v1/admin/audit", unixSeconds: now - 299);
        Assert.Equal(HttpStatusCode.OK, edge.StatusCode);
    }

    [Fact]
    public async Task A_signature_covers_the_path_and_the_body()
    {
        TestUser mallory = await TestUser.RegisterAsync(_server);
        long now = _server.Time.GetUtcNow().ToUnixTimeSeconds();
        string nonce = TestOperator.NewNonce();
        // Signed for one body, sent with another: refused, and the account stays untouched.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/admin/accounts/{mallory.Username}/suspend")
        {
            Content = JsonContent.Create(new { reason = "spam" }),
        };
        request.Headers.TryAddWithoutValidation("Authorization", OperatorSignatureFor(
            "POST", $"/v1/admin/accounts/{mallory.Username}/suspend", now, nonce, "{\"reason\":\"other\"}"u8.ToArray()));
        using var response = await _server.CreateClient().SendAsync(request);
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(response)));

        using var device = await mallory.Device.Client.GetAsync("/v1/keypackages/count");
        Assert.Equal(HttpStatusCode.OK, device.StatusCode);
        // A device credential is no operator credential.
        using var asDevice = await mallory.Device.Client.GetAsync("/v1/admin/reports");
        Assert.Equal((401, "operator_unauthenticated"), Short(await TestHttp.ProblemAsync(asDevice)));
    }

    [Fact]
    public async Task A_suspended_account_is_refused_disconnected_and_hidden_until_restored()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        TestUser alice = users[0], bob = users[1];
        await bob.Device.UploadKeyPackagesAsync(1);
        using WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device);

        using (var suspend = await _operator.PostAsync(_server, $"/v1/admin/accounts/{bob.Username}/suspend", new { reason = "spam wave" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, suspend.StatusCode);
        }

        var (closeStatus, _) = await TestSockets.ReadUntilClosedAsync(socket);
        Assert.Equal((WebSocketCloseStatus)4003, closeStatus);
        using (var refused = await bob.Device.Client.GetAsync("/v1/mailbox"))
        {
            Assert.Equal((403, "account_suspended"), Short(await TestHttp.ProblemAsync(refused)));
        }
        using (var send = await group.SendAsync(bob.Device, TestFranking.Text(group, "more spam").Message))
        {
            Assert.Equal((403, "account_suspended"), Short(await TestHttp.ProblemAsync(send)));
        }
        using (var lookup = await alice.Device.Client.GetAsync($"/v1/accounts/{bob.Username}"))
        {
            Assert.Equal((404, "account_suspended"), Short(await TestHttp.ProblemAsync(lookup)));
        }
        using (var claim = await alice.Device.Client.PostAsync($"/v1/accounts/{bob.Username}/keypackages/claim", null))
        {
            Assert.Equal((404, "account_suspended"), Short(await TestHttp.ProblemAsync(claim)));
        }

        using (var restore = await _operator.PostAsync(_server, $"/v1/admin/accounts/{bob.Username}/restore"))
        {
            Assert.Equal(HttpStatusCode.NoContent, restore.StatusCode);
        }
        using (var mailbox = await bob.Device.Client.GetAsync("/v1/mailbox"))
        {
            Assert.Equal(HttpStatusCode.OK, mailbox.StatusCode);
        }
        using (var lookup = await alice.Device.Client.GetAsync($"/v1/accounts/{bob.Username}"))
        {
            Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        }
        await TestHttp.EnsureAsync(await group.SendAsync(bob.Device, TestFranking.Text(group, "hello again").Message, id: "back"));
        Assert.Equal("back", Assert.Single(await TestMailbox.ReadAsync(alice.Device)).Id);

        AuditEntryResponse[] audit = (await ReadAuditAsync()).ToArray();
        Assert.Equal([("account.suspend", bob.Username, "spam wave"), ("account.restore", bob.Username, "")],
            audit.Select(e => (e.Action, e.Target, e.Reason)));
    }

    [Fact]
    public async Task A_suspension_survives_a_restart()
    {
        string directory;
        string credential;
        await using (var first = new ServerFactory(settings: _operator.Settings) { KeepData = true })
        {
            directory = first.DataDirectory;
            TestUser bob = await TestUser.RegisterAsync(first);
            credential = bob.Device.Credential;
            using var suspend = await _operator.PostAsync(first, $"/v1/admin/accounts/{bob.Username}/suspend", new { reason = "x" });
            Assert.Equal(HttpStatusCode.NoContent, suspend.StatusCode);
        }
        await using var second = new ServerFactory(directory, _operator.Settings);
        using HttpClient client = TestHttp.Authenticated(second, credential);
        using var refused = await client.GetAsync("/v1/mailbox");
        Assert.Equal((403, "account_suspended"), Short(await TestHttp.ProblemAsync(refused)));
    }

    [Fact]
    public async Task The_operator_lists_reads_and_closes_reports_with_their_evidence()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        TestUser alice = users[0], bob = users[1];
        using var plaintext = new MemoryStream("an abusive picture"u8.ToArray());
        using var ciphertext = new MemoryStream();
        EncryptedAttachment encrypted = await AttachmentCipher.EncryptAsync(plaintext, ciphertext);
        string original = await TestBlobs.UploadAsync(alice.Device, ciphertext.ToArray(), 1 << 16);
        var (envelope, message) = TestFranking.Franked(group, new AttachmentContent(encrypted.ToReference(original, "image/png", "x.png")));
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, message, id: "pic"));
        byte[] stamp = (await TestFranking.EntryAsync(bob.Device, "pic")).Stamp!;
        string evidence = await TestBlobs.UploadAsync(bob.Device, ciphertext.ToArray(), 1 << 16);
        using var reported = await bob.Device.Client.PostAsJsonAsync("/v1/reports", new
        {
            groupId = group.IdText, messageId = "pic", envelope, stamp, reason = "illegal", comment = "",
            attachments = new[] { new { index = 0, evidenceBlobId = evidence } },
        });
        string reportId = (await TestOperator.ReadAsync<Parley.Server.Reports.ReportResponse>(reported)).ReportId;

        ReportSummary summary = Assert.Single((await TestOperator.ReadAsync<ReportListResponse>(
            await _operator.GetAsync(_server, "/v1/admin/reports"))).Reports);
        Assert.Equal((reportId, "illegal", bob.Username, alice.Username, true, "open"),
            (summary.ReportId, summary.Reason, summary.Reporter, summary.Sender, summary.Verified, summary.Status));

        ReportDetails details = await TestOperator.ReadAsync<ReportDetails>(await _operator.GetAsync(_server, $"/v1/admin/reports/{reportId}"));
        Assert.Equal(envelope, details.Envelope);
        Assert.Equal(alice.Device.Id, details.SenderDevice);
        Assert.Equal((0, evidence, true), (details.Attachments[0].Index, details.Attachments[0].EvidenceBlobId, details.Attachments[0].Verified));
        // The operator decrypts the evidence with the key from the reported envelope.
        using var file = await _operator.GetAsync(_server, $"/v1/admin/reports/{reportId}/attachments/0");
        await TestHttp.EnsureAsync(file);
        var reference = ((AttachmentContent)ContentEnvelope.Decode(details.Envelope).Content).Attachment;
        using var opened = new MemoryStream();
        await AttachmentCipher.DecryptAsync(new MemoryStream(await file.Content.ReadAsByteArrayAsync()), opened, reference);
        Assert.Equal("an abusive picture"u8.ToArray(), opened.ToArray());
        using var missing = await _operator.GetAsync(_server, $"/v1/admin/reports/{reportId}/attachments/1");
        Assert.Equal((404, "attachment_not_found"), Short(await TestHttp.ProblemAsync(missing)));

        using (var close = await _operator.PostAsync(_server, $"/v1/admin/reports/{reportId}/close", new { resolution = "account suspended" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, close.StatusCode);
        }
        using (var again = await _operator.PostAsync(_server, $"/v1/admin/reports/{reportId}/close", new { resolution = "twice" }))
        {
            Assert.Equal((404, "report_not_found"), Short(await TestHttp.ProblemAsync(again)));
        }
        Assert.Empty((await TestOperator.ReadAsync<ReportListResponse>(await _operator.GetAsync(_server, "/v1/admin/reports"))).Reports);
        ReportSummary closed = Assert.Single((await TestOperator.ReadAsync<ReportListResponse>(
            await _operator.GetAsync(_server, "/v1/admin/reports?status=all"))).Reports);
        Assert.Equal("closed", closed.Status);
        Assert.Equal(("report.close", reportId, "account suspended"), (await ReadAuditAsync()).Select(e => (e.Action, e.Target, e.Reason)).Single());

        // Past Parley:ReportRetention (90 days) after closing, the report and its evidence file go; the audit entry stays.
        var hosted = _server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().ToList();
        string evidenceFile = _server.Services.GetRequiredService<BlobFiles>().PathOf(BlobKey.Of(new BlobId(evidence)));
        Assert.True(File.Exists(evidenceFile));
        _server.Time.Advance(TimeSpan.FromDays(89));
        Assert.Equal(0, await hosted.OfType<Parley.Server.Reports.ReportRetention>().Single().SweepAsync(default));
        _server.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await hosted.OfType<Parley.Server.Reports.ReportRetention>().Single().SweepAsync(default));
        Assert.Null(await _server.Services.GetRequiredService<Parley.Server.Reports.IReportStore>().FindAsync(reportId, default));
        await hosted.OfType<BlobExpiry>().Single().SweepAsync(default);
        Assert.False(File.Exists(evidenceFile));
    }

    [Fact]
    public async Task A_report_row_changed_in_the_database_no_longer_verifies()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (envelope, message) = TestFranking.Text(group, "original words");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "m")).Stamp!;
        using var reported = await users[1].Device.Client.PostAsJsonAsync("/v1/reports",
            new { groupId = group.IdText, messageId = "m", envelope, stamp, reason = "harassment" });
        string reportId = (await TestOperator.ReadAsync<Parley.Server.Reports.ReportResponse>(reported)).ReportId;

        // Someone with write access to the database pins the message on another sender.
        TestUser carol = await TestUser.RegisterAsync(_server);
        Assert.True(Username.TryParse(carol.Username, out Username carolName));
        string carolAccount = (await _server.Services.GetRequiredService<IAccountStore>().FindByUsernameAsync(carolName, default))!.Id.Value;
        Execute($"UPDATE reports SET sender_account = '{carolAccount}' WHERE report_id = '{reportId}'");

        ReportDetails details = await TestOperator.ReadAsync<ReportDetails>(await _operator.GetAsync(_server, $"/v1/admin/reports/{reportId}"));
        Assert.Equal(carol.Username, details.Sender);
        Assert.False(details.Verified);
    }

    [Fact]
    public async Task The_audit_log_is_a_hash_chain_that_exposes_an_altered_entry()
    {
        TestUser bob = await TestUser.RegisterAsync(_server);
        for (int i = 0; i < 3; i++)
        {
            using var suspend = await _operator.PostAsync(_server, $"/v1/admin/accounts/{bob.Username}/suspend", new { reason = $"round {i}" });
            using var restore = await _operator.PostAsync(_server, $"/v1/admin/accounts/{bob.Username}/restore");
        }

        AuditEntryResponse[] entries = (await ReadAuditAsync()).ToArray();
        Assert.Equal(6, entries.Length);
        Assert.Equal([1L, 2, 3, 4, 5, 6], entries.Select(e => e.Sequence));
        List<AuditEntry> chain = entries.Select(e => new AuditEntry(e.Sequence, e.At, e.Action, e.Target, e.Reason, e.Hash)).ToList();
        Assert.Null(AuditChain.FirstBroken(chain, AuditChain.Genesis));
        // A page after entry 3 verifies from entry 3's hash.
        var page = (await TestOperator.ReadAsync<AuditLogResponse>(await _operator.GetAsync(_server, "/v1/admin/audit?after=3"))).Entries;
        Assert.Null(AuditChain.FirstBroken(page.Select(e => new AuditEntry(e.Sequence, e.At, e.Action, e.Target, e.Reason, e.Hash)).ToList(),
            entries[2].Hash));

        // Rewriting one entry's reason, removing one, or reordering two breaks the chain at that entry.
        List<AuditEntry> rewritten = [.. chain];
        rewritten[2] = rewritten[2] with { Reason = "nothing happened" };
        Assert.Equal(3L, AuditChain.FirstBroken(rewritten, AuditChain.Genesis));
        List<AuditEntry> removed = [.. chain];
        removed.RemoveAt(3);
        Assert.Equal(5L, AuditChain.FirstBroken(removed, AuditChain.Genesis));
        List<AuditEntry> swapped = [chain[1], chain[0], .. chain.Skip(2)];
        Assert.Equal(2L, AuditChain.FirstBroken(swapped, AuditChain.Genesis));

        // The database itself refuses to rewrite history.
        Assert.Throws<SqliteException>(() => Execute("UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 3"));
        Assert.Throws<SqliteException>(() => Execute("DELETE FROM audit_log WHERE seq = 6"));
    }

    private async Task<IReadOnlyList<AuditEntryResponse>> ReadAuditAsync()
        => (await TestOperator.ReadAsync<AuditLogResponse>(await _operator.GetAsync(_server, "/v1/admin/audit?after=0"))).Entries;

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, SqliteDatabase.FileName)};Pooling=False");
        connection.Open();
        connection.Execute(sql);
    }

    private string OperatorSignatureFor(string method, string path, long time, string nonce, byte[] body)
        => _operator.HeaderFor(method, path, time, nonce, body);

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
