using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Parley.Content;
using Parley.Server.Blobs;
using ContentFranking = Parley.Content.Franking;
using Parley.Server.Franking;
using Parley.Server.Reports;

namespace Parley.Server.Tests;

public sealed class ReportTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_recipient_reports_a_franked_message_and_the_server_verifies_and_stores_it()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        TestUser alice = users[0], bob = users[1];
        var (envelope, message) = TestFranking.Text(group, "buy my pills");
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, message, id: "spam-1"));
        byte[] stamp = (await TestFranking.EntryAsync(bob.Device, "spam-1")).Stamp!;

        using var response = await ReportAsync(bob.Device, group, "spam-1", envelope, stamp, comment: "unsolicited");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<ReportResponse>(TestHttp.Json))!;
        Assert.True(created.Verified);
        Assert.Equal(alice.Username, created.Sender);
        ReportView stored = Assert.Single(await Reports.ListAsync(false, 10, default));
        Assert.Equal(created.ReportId, stored.Report.Id);
        Assert.Equal((bob.Username, alice.Username), (stored.ReporterUsername, stored.SenderUsername));
        Assert.Equal(alice.Device.Id, stored.Report.SenderDevice.Value);
        Assert.Equal(("spam-1", "spam", "unsolicited"), (stored.Report.MessageId, stored.Report.Reason, stored.Report.Comment));
        Assert.Equal(envelope, stored.Report.Envelope);
        Assert.True(ReportVerification.Recheck(_server.Services.GetRequiredService<FrankingStamper>(), stored.Report));
    }

    [Fact]
    public async Task A_report_with_altered_text_is_refused_and_nothing_is_stored()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (envelope, message) = TestFranking.Text(group, "see you at 5");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "m")).Stamp!;

        // The same envelope, franking key included, with the text changed: the commitment no longer matches.
        var original = ContentEnvelope.Decode(envelope);
        byte[] forged = (original with { Content = new TextContent("I will hurt you") }).Encode();

        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "m", forged, stamp), "does not match what its sender committed to");
    }

    [Fact]
    public async Task A_report_whose_envelope_has_another_franking_key_is_refused()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (envelope, message) = TestFranking.Text(group, "hello");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "m")).Stamp!;
        byte[] otherKey = (byte[])envelope.Clone();
        RandomNumberGenerator.Fill(otherKey.AsSpan(otherKey.Length - ContentFranking.KeySize));

        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "m", otherKey, stamp), "committed");
    }

    [Fact]
    public async Task A_stamp_sealed_under_another_franking_key_is_refused()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (envelope, message) = TestFranking.Text(group, "hello");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        FrankingStamp genuine = TestFranking.Open(_server, await TestFranking.EntryAsync(users[1].Device, "m"));
        // A stamp with exactly the right content, sealed by someone who does not hold this server's key.
        using var impostor = new FrankingStamper(Options.Create(new ParleyServerOptions
        {
            FrankingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }), new UnusedSecrets());

        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "m", envelope, impostor.Seal(genuine)), "not issued by this server");
    }

    [Fact]
    public async Task A_stamp_delivered_to_another_recipient_is_refused()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 3);
        var (envelope, message) = TestFranking.Text(group, "hello both");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        byte[] carolsStamp = (await TestFranking.EntryAsync(users[2].Device, "m")).Stamp!;

        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "m", envelope, carolsStamp), "issued to another device");
    }

    [Fact]
    public async Task A_tampered_stamp_or_one_for_another_message_is_refused()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (envelope, message) = TestFranking.Text(group, "hello");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "m")).Stamp!;
        byte[] tampered = (byte[])stamp.Clone();
        tampered[^20] ^= 0x40;

        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "m", envelope, tampered), "altered");
        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "other-id", envelope, stamp), "another message");
    }

    [Fact]
    public async Task A_reported_attachment_is_verified_against_its_committed_plaintext_and_its_evidence_is_retained()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        TestUser alice = users[0], bob = users[1];
        var (reference, ciphertext) = await UploadAttachmentAsync(alice.Device, RandomNumberGenerator.GetBytes(5000));
        var (envelope, message) = TestFranking.Franked(group, new AttachmentContent(reference, "look"));
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, message, id: "file"));
        byte[] stamp = (await TestFranking.EntryAsync(bob.Device, "file")).Stamp!;
        // The reporter uploads the ciphertext it downloaded as a blob of its own.
        string evidence = await TestBlobs.UploadAsync(bob.Device, ciphertext, 4096);

        using var response = await ReportAsync(bob.Device, group, "file", envelope, stamp, evidence);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        ReportAttachment attachment = Assert.Single(Assert.Single(await Reports.ListAsync(true, 10, default)).Report.Attachments);
        Assert.Equal((0, evidence, true), (attachment.Index, attachment.EvidenceBlob.Value, attachment.Verified));
        // The evidence outlives every retention period (the original upload does not), and its uploader can no
        // longer delete it.
        _server.Time.Advance(TimeSpan.FromDays(3650));
        BlobExpiry expiry = _server.Services.GetServices<IHostedService>().OfType<BlobExpiry>().Single();
        Assert.Equal(1, await expiry.SweepAsync(default));
        using var original = await bob.Device.Client.GetAsync($"/v1/blobs/{reference.BlobId}");
        Assert.Equal(HttpStatusCode.NotFound, original.StatusCode);
        using var delete = await bob.Device.Client.DeleteAsync($"/v1/blobs/{evidence}");
        Assert.Equal((403, "not_uploader"), Short(await TestHttp.ProblemAsync(delete)));
        Assert.Equal(ciphertext, await bob.Device.Client.GetByteArrayAsync($"/v1/blobs/{evidence}"));
    }

    [Fact]
    public async Task Attachment_evidence_that_is_another_file_is_refused()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        TestUser alice = users[0], bob = users[1];
        var (reference, ciphertext) = await UploadAttachmentAsync(alice.Device, RandomNumberGenerator.GetBytes(3000));
        var (_, otherCiphertext) = await UploadAttachmentAsync(alice.Device, RandomNumberGenerator.GetBytes(3000));
        var (envelope, message) = TestFranking.Franked(group, new AttachmentContent(reference));
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, message, id: "file"));
        byte[] stamp = (await TestFranking.EntryAsync(bob.Device, "file")).Stamp!;

        string swapped = await TestBlobs.UploadAsync(bob.Device, otherCiphertext, 4096);
        await AssertRefusedAsync(await ReportAsync(bob.Device, group, "file", envelope, stamp, swapped), "not the attachment the message names");
        string truncated = await TestBlobs.UploadAsync(bob.Device, ciphertext[..^1], 4096);
        await AssertRefusedAsync(await ReportAsync(bob.Device, group, "file", envelope, stamp, truncated), "not the attachment");
        // Alice's own upload is not evidence: the reporter must upload what it received.
        await AssertRefusedAsync(await ReportAsync(bob.Device, group, "file", envelope, stamp, reference.BlobId), "upload the attachment");
        Assert.Empty(await Reports.ListAsync(false, 10, default));
    }

    [Fact]
    public async Task An_attachment_whose_key_opens_other_plaintext_than_committed_is_refused()
    {
        // A sender that commits to one plaintext digest but sends a file that decrypts to something else: the
        // recipient's client refuses such a file, and the server refuses to verify it just the same.
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (reference, ciphertext) = await UploadAttachmentAsync(users[0].Device, RandomNumberGenerator.GetBytes(2000));
        AttachmentReference lying = reference with { PlaintextDigest = SHA256.HashData("something innocent"u8) };
        var (envelope, message) = TestFranking.Franked(group, new AttachmentContent(lying));
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "file"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "file")).Stamp!;
        string evidence = await TestBlobs.UploadAsync(users[1].Device, ciphertext, 4096);

        await AssertRefusedAsync(await ReportAsync(users[1].Device, group, "file", envelope, stamp, evidence), "committed to");
    }

    [Fact]
    public async Task Malformed_reports_are_refused_with_400()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        var (envelope, message) = TestFranking.Text(group, "x");
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "m"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "m")).Stamp!;

        using var badReason = await ReportAsync(users[1].Device, group, "m", envelope, stamp, reason: "boring");
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(badReason)));
        using var longComment = await ReportAsync(users[1].Device, group, "m", envelope, stamp, comment: new string('x', 1001));
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(longComment)));
        using var noStamp = await ReportAsync(users[1].Device, group, "m", envelope, []);
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(noStamp)));
        using var badBlob = await ReportAsync(users[1].Device, group, "m", envelope, stamp, "not-a-blob");
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(badBlob)));
        using var garbage = await users[1].Device.Client.PostAsync("/v1/reports", TestHttp.RawJson("{\"groupId\":"));
        Assert.Equal(400, (int)garbage.StatusCode);
        Assert.Empty(await Reports.ListAsync(false, 10, default));
    }

    private IReportStore Reports => _server.Services.GetRequiredService<IReportStore>();

    private static Task<HttpResponseMessage> ReportAsync(TestDevice reporter, TestGroup group, string messageId, byte[] envelope, byte[] stamp,
        string? evidenceBlobId = null, string reason = "spam", string comment = "")
        => reporter.Client.PostAsJsonAsync("/v1/reports", new
        {
            groupId = group.IdText,
            messageId,
            envelope,
            stamp,
            reason,
            comment,
            attachments = evidenceBlobId is null ? Array.Empty<object>() : [new { index = 0, evidenceBlobId }],
        });

    private async Task AssertRefusedAsync(HttpResponseMessage response, string because)
    {
        using (response)
        {
            var (status, code, body) = await TestHttp.ProblemAsync(response);
            Assert.Equal((422, "invalid_report"), (status, code));
            Assert.Contains(because, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Empty(await Reports.ListAsync(false, 10, default));
    }

    /// <summary>Encrypts <paramref name="plaintext"/> as a client does and uploads the ciphertext from <paramref name="sender"/>.</summary>
    private static async Task<(AttachmentReference Reference, byte[] Ciphertext)> UploadAttachmentAsync(TestDevice sender, byte[] plaintext)
    {
        using var ciphertext = new MemoryStream();
        EncryptedAttachment encrypted = await AttachmentCipher.EncryptAsync(new MemoryStream(plaintext), ciphertext, chunkSize: 1024);
        byte[] bytes = ciphertext.ToArray();
        string blobId = await TestBlobs.UploadAsync(sender, bytes, 4096);
        return (encrypted.ToReference(blobId, "application/octet-stream", "file.bin"), bytes);
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);

    private sealed class UnusedSecrets : IServerSecrets
    {
        public byte[] GetOrCreate(string name, Func<byte[]> create) => throw new InvalidOperationException("A configured key is used.");
    }
}
