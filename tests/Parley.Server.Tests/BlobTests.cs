using Parley.Content;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Parley.Server.Blobs;

namespace Parley.Server.Tests;

public sealed class BlobTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_blob_uploaded_in_chunks_downloads_whole_and_by_range_for_any_device_holding_its_id()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        byte[] data = RandomNumberGenerator.GetBytes(300_000);

        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, data.Length);
        Assert.Equal($"/v1/blobs/{blob.BlobId}", blob.UploadUrl);
        Assert.Equal(32, blob.BlobId.Length);
        for (int offset = 0; offset < data.Length; offset += 128 * 1024)
        {
            Assert.Equal((offset, data.Length), await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId));
            using var chunk = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, offset, data[offset..Math.Min(data.Length, offset + 128 * 1024)]);
            await TestHttp.EnsureAsync(chunk);
            var status = (await chunk.Content.ReadFromJsonAsync<BlobStatusResponse>(TestHttp.Json))!;
            Assert.Equal(Math.Min(data.Length, offset + 128 * 1024), status.Offset);
            Assert.Equal(status.Offset == data.Length, status.Complete);
        }

        Assert.Equal(data, await bob.Device.Client.GetByteArrayAsync(blob.UploadUrl));
        using var ranged = new HttpRequestMessage(HttpMethod.Get, blob.UploadUrl);
        ranged.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var partial = await bob.Device.Client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("bytes", partial.Headers.AcceptRanges.Single());
        Assert.Equal((1000L, 1999L, (long)data.Length),
            (partial.Content.Headers.ContentRange!.From!.Value, partial.Content.Headers.ContentRange.To!.Value, partial.Content.Headers.ContentRange.Length!.Value));
        Assert.Equal(data[1000..2000], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Chunks_may_name_their_place_with_content_range_on_put()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, data.Length);

        foreach (var (first, last) in new[] { (0, 599), (600, 999) })
        {
            using var response = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Put, blob.BlobId,
                new ByteArrayContent(data[first..(last + 1)]),
                request => request.Content!.Headers.ContentRange = new ContentRangeHeaderValue(first, last, data.Length));
            await TestHttp.EnsureAsync(response);
        }

        Assert.Equal(data, await alice.Device.Client.GetByteArrayAsync(blob.UploadUrl));
    }

    [Fact]
    public async Task A_gap_or_an_overlap_is_refused_with_409_and_the_current_offset()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, data.Length);
        await TestHttp.EnsureAsync(await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 0, data[..400]));

        using var gap = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 500, data[500..]);
        using var overlap = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 300, data[300..]);

        foreach (HttpResponseMessage response in new[] { gap, overlap })
        {
            var (status, code, body) = await TestHttp.ProblemAsync(response);
            Assert.Equal((409, "upload_offset_mismatch"), (status, code));
            Assert.Equal(400, body.GetProperty("offset").GetInt64());
            Assert.Equal("400", response.Headers.GetValues("Upload-Offset").Single());
        }
        Assert.Equal((400, 1000), await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId));
        Assert.Equal(400, new FileInfo(BlobPath(blob.BlobId)).Length);
    }

    [Fact]
    public async Task An_upload_resumes_after_an_interrupted_chunk_from_the_offset_head_reports()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, data.Length);

        // The connection drops after 120 000 of the 200 000 bytes announced.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var broken = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Patch, blob.BlobId,
                new BrokenContent(data[..120_000], data.Length), request => request.Headers.Add("Upload-Offset", "0"));
            await TestHttp.EnsureAsync(broken);
        });

        long resumeAt = 0;
        await MailboxTests.WaitUntilAsync(async () =>
        {
            try
            {
                resumeAt = (await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId)).Offset;
                // The interrupted request may still hold the blob; a chunk sent now would be told "upload_in_progress".
                using var probe = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, resumeAt, []);
                return probe.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });
        Assert.InRange(resumeAt, 0, 120_000);
        using var rest = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, resumeAt, data[(int)resumeAt..]);
        await TestHttp.EnsureAsync(rest);

        Assert.True((await rest.Content.ReadFromJsonAsync<BlobStatusResponse>(TestHttp.Json))!.Complete);
        Assert.Equal(data, await alice.Device.Client.GetByteArrayAsync(blob.UploadUrl));
    }

    [Fact]
    public async Task A_blob_over_the_size_limit_is_refused_with_413_before_anything_is_stored()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:MaxBlobBytes"] = "1000" });
        TestUser alice = await TestUser.RegisterAsync(server);

        using var tooBig = await alice.Device.Client.PostAsJsonAsync("/v1/blobs", new { size = 1001 });
        var (status, code, body) = await TestHttp.ProblemAsync(tooBig);
        Assert.Equal((413, "blob_too_large"), (status, code));
        Assert.Equal(1000, body.GetProperty("maxSize").GetInt64());
        Assert.Equal(AttachmentCipher.MaxPlaintextLength(1000, AttachmentCipher.DefaultChunkSize), body.GetProperty("maxFileSize").GetInt64());

        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, 1000);
        await TestHttp.EnsureAsync(await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 0, new byte[600]));
        using var overflow = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 600, new byte[401]);
        Assert.Equal((413, "blob_too_large"), Short(await TestHttp.ProblemAsync(overflow)));
        Assert.Equal((600, 1000), await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId));
        Assert.Equal(600, new FileInfo(Path.Combine(server.DataDirectory, "blobs", TestBlobs.KeyOf(blob.BlobId).Value[..2],
            TestBlobs.KeyOf(blob.BlobId).Value)).Length);

        // A body larger than any blob is refused by its Content-Length alone; a chunked one (no
        // Content-Length) that runs past the room left is refused too, and nothing of it is kept.
        using var huge = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Patch, blob.BlobId,
            new SourceContent(new PatternStream(5000), length: 5000), request => request.Headers.Add("Upload-Offset", "600"));
        Assert.Equal((413, "request_too_large"), Short(await TestHttp.ProblemAsync(huge)));
        using HttpClient streaming = server.CreateStreamingClient(alice.Device.Credential);
        using var chunked = await TestBlobs.SendChunkAsync(streaming, HttpMethod.Patch, blob.BlobId,
            new SourceContent(new PatternStream(5000), length: null), request => request.Headers.Add("Upload-Offset", "600"));
        Assert.Equal((413, "blob_too_large"), Short(await TestHttp.ProblemAsync(chunked)));
        Assert.Equal((600, 1000), await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId));
        Assert.Equal(600, new FileInfo(Path.Combine(server.DataDirectory, "blobs", TestBlobs.KeyOf(blob.BlobId).Value[..2],
            TestBlobs.KeyOf(blob.BlobId).Value)).Length);
    }

    [Fact]
    public async Task The_blob_limit_is_the_exact_ciphertext_of_a_file_at_the_file_limit()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:MaxFileBytes"] = "100000" });
        TestUser alice = await TestUser.RegisterAsync(server);
        long atLimit = AttachmentCipher.CiphertextLength(100_000, AttachmentCipher.DefaultChunkSize);

        // The file is padded to its Padmé length before encryption (docs/privacy.md, "Padding").
        Assert.Equal(Parley.Mls.Framing.PaddingPolicy.PadmeLength(100_000) + 2 * AttachmentCipher.TagSize, (await TestBlobs.CreateAsync(alice.Device, atLimit)).Size);
        using var tooBig = await alice.Device.Client.PostAsJsonAsync("/v1/blobs", new { size = atLimit + 1 });
        var (status, code, body) = await TestHttp.ProblemAsync(tooBig);
        Assert.Equal((413, "blob_too_large"), (status, code));
        Assert.Equal(atLimit, body.GetProperty("maxSize").GetInt64());
        Assert.Equal(100_000, body.GetProperty("maxFileSize").GetInt64());
        Assert.StartsWith("Files may have at most 97.7 KiB (100000 bytes;", body.GetProperty("detail").GetString());
    }

    [Fact]
    public void By_default_a_four_gibibyte_file_fits_and_one_byte_more_does_not()
    {
        var options = new ParleyServerOptions();
        Assert.Equal(4L << 30, options.FileLimit());
        Assert.Equal(AttachmentCipher.CiphertextLength(4L << 30, AttachmentCipher.DefaultChunkSize), options.BlobLimit());
        Assert.True(AttachmentCipher.CiphertextLength((4L << 30) + 1, AttachmentCipher.DefaultChunkSize) > options.BlobLimit());
    }

    [Fact]
    public async Task A_device_cannot_hold_more_blob_bytes_than_its_quota()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:MaxBlobBytesPerDevice"] = "1000" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);

        await TestBlobs.CreateAsync(alice.Device, 600);
        using var refused = await alice.Device.Client.PostAsJsonAsync("/v1/blobs", new { size = 600 });

        Assert.Equal((409, "blob_quota_exceeded"), Short(await TestHttp.ProblemAsync(refused)));
        await TestBlobs.CreateAsync(bob.Device, 600);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task An_unknown_blob_is_a_404(string method)
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        foreach (string id in new[] { BlobId.New().Value, "not-a-blob-id", "../../parley.db" })
        {
            var request = new HttpRequestMessage(new HttpMethod(method), $"/v1/blobs/{Uri.EscapeDataString(id)}");
            if (method == "PATCH")
            {
                request.Content = new ByteArrayContent([1, 2, 3]);
                request.Headers.Add("Upload-Offset", "0");
            }
            using var response = await alice.Device.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            if (method != "HEAD")
            {
                Assert.Equal("blob_not_found", (await TestHttp.ProblemAsync(response)).Code);
            }
        }
    }

    [Fact]
    public async Task A_device_of_the_creating_account_may_delete_a_blob_and_no_other_account_may()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice alicePhone = await alice.AddDeviceAsync(_server);
        TestUser mallory = await TestUser.RegisterAsync(_server);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, 100);
        using (var done = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 0, new byte[100]))
        {
            done.EnsureSuccessStatusCode();
        }
        Assert.True(File.Exists(BlobPath(blob.BlobId)));

        using var foreign = await mallory.Device.Client.DeleteAsync(blob.UploadUrl);
        Assert.Equal((403, "not_uploader"), Short(await TestHttp.ProblemAsync(foreign)));
        using var sibling = await alicePhone.Client.DeleteAsync(blob.UploadUrl);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, sibling.StatusCode);
        Assert.False(File.Exists(BlobPath(blob.BlobId)));
        using var gone = await alice.Device.Client.GetAsync(blob.UploadUrl);
        Assert.Equal((404, "blob_not_found"), Short(await TestHttp.ProblemAsync(gone)));
    }

    [Fact]
    public async Task Only_the_creating_device_may_upload_and_no_other_account_may_delete()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice alicePhone = await alice.AddDeviceAsync(_server);
        TestUser mallory = await TestUser.RegisterAsync(_server);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, 100);

        using var other = await TestBlobs.PatchAsync(mallory.Device.Client, blob.BlobId, 0, new byte[100]);
        using var sibling = await TestBlobs.PatchAsync(alicePhone.Client, blob.BlobId, 0, new byte[100]);
        using var delete = await mallory.Device.Client.DeleteAsync(blob.UploadUrl);

        Assert.Equal((403, "not_uploader"), Short(await TestHttp.ProblemAsync(other)));
        Assert.Equal((403, "not_uploader"), Short(await TestHttp.ProblemAsync(sibling)));
        Assert.Equal((403, "not_uploader"), Short(await TestHttp.ProblemAsync(delete)));
        Assert.Equal((0, 100), await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId));
        Assert.False(File.Exists(BlobPath(blob.BlobId)));
    }

    [Fact]
    public async Task An_unfinished_blob_cannot_be_downloaded()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, 100);
        await TestHttp.EnsureAsync(await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 0, new byte[40]));

        using var response = await alice.Device.Client.GetAsync(blob.UploadUrl);

        var (status, code, body) = await TestHttp.ProblemAsync(response);
        Assert.Equal((409, "blob_incomplete"), (status, code));
        Assert.Equal(40, body.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Malformed_chunk_headers_are_refused_and_change_nothing()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        CreateBlobResponse blob = await TestBlobs.CreateAsync(alice.Device, 100);

        using var missing = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Patch, blob.BlobId, new ByteArrayContent(new byte[10]), _ => { });
        using var negative = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Patch, blob.BlobId, new ByteArrayContent(new byte[10]),
            r => r.Headers.Add("Upload-Offset", "-1"));
        using var wrongTotal = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Put, blob.BlobId, new ByteArrayContent(new byte[10]),
            r => r.Content!.Headers.ContentRange = new ContentRangeHeaderValue(0, 9, 99));
        using var wrongType = await alice.Device.Client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, blob.UploadUrl)
        {
            Content = TestHttp.RawJson("{}"),
            Headers = { { "Upload-Offset", "0" } },
        });
        using var zeroSize = await alice.Device.Client.PostAsJsonAsync("/v1/blobs", new { size = 0 });

        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(missing)));
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(negative)));
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(wrongTotal)));
        Assert.Equal((415, "unsupported_media_type"), Short(await TestHttp.ProblemAsync(wrongType)));
        Assert.Equal((400, "invalid_blob_size"), Short(await TestHttp.ProblemAsync(zeroSize)));
        Assert.Equal((0, 100), await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId));
    }

    [Theory]
    [InlineData("POST", "/v1/blobs")]
    [InlineData("GET", "/v1/blobs/0123456789abcdef0123456789abcdef")]
    [InlineData("PATCH", "/v1/blobs/0123456789abcdef0123456789abcdef")]
    public async Task Blob_endpoints_require_a_device_credential(string method, string path)
    {
        using HttpClient client = _server.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = TestHttp.RawJson("{\"size\":1}") });

        Assert.Equal((401, "unauthenticated"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task The_uploader_may_delete_a_blob_early()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string id = await TestBlobs.UploadAsync(alice.Device, new byte[100], 100);

        using var deleted = await alice.Device.Client.DeleteAsync($"/v1/blobs/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Device.Client.GetAsync($"/v1/blobs/{id}")).StatusCode);
        Assert.False(File.Exists(BlobPath(id)));
    }

    [Fact]
    public async Task Expiry_deletes_the_file_and_the_row_of_finished_and_abandoned_blobs()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        string finished = await TestBlobs.UploadAsync(alice.Device, RandomNumberGenerator.GetBytes(5000), 2000);
        CreateBlobResponse abandoned = await TestBlobs.CreateAsync(alice.Device, 5000);
        await TestHttp.EnsureAsync(await TestBlobs.PatchAsync(alice.Device.Client, abandoned.BlobId, 0, new byte[2000]));
        var store = _server.Services.GetRequiredService<IBlobStore>();
        BlobExpiry expiry = _server.Services.GetServices<IHostedService>().OfType<BlobExpiry>().Single();

        // The upload window (a day) passes: the unfinished blob goes, the finished one stays.
        _server.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await expiry.SweepAsync(CancellationToken.None));
        Assert.False(await store.ExistsAsync(TestBlobs.KeyOf(abandoned.BlobId), CancellationToken.None));
        Assert.False(File.Exists(BlobPath(abandoned.BlobId)));
        Assert.Equal(5000, (await bob.Device.Client.GetByteArrayAsync($"/v1/blobs/{finished}")).Length);

        // The retention (the mailboxes', 30 days) passes: the finished one goes too.
        _server.Time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Device.Client.GetAsync($"/v1/blobs/{finished}")).StatusCode);
        Assert.True(File.Exists(BlobPath(finished)));
        Assert.Equal(1, await expiry.SweepAsync(CancellationToken.None));
        Assert.False(await store.ExistsAsync(TestBlobs.KeyOf(finished), CancellationToken.None));
        Assert.False(File.Exists(BlobPath(finished)));
    }

    [Fact]
    public async Task Files_left_without_a_row_are_removed_and_blob_ids_are_not_stored()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string kept = await TestBlobs.UploadAsync(alice.Device, new byte[100], 100);
        string orphan = Path.Combine(_server.DataDirectory, "blobs", "ab", "ab" + new string('0', 30));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, new byte[10]);
        BlobExpiry expiry = _server.Services.GetServices<IHostedService>().OfType<BlobExpiry>().Single();

        Assert.Equal(1, await expiry.RemoveOrphansAsync(CancellationToken.None));

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(BlobPath(kept)));
        await using var stream = new FileStream(Path.Combine(_server.DataDirectory, "parley.db"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        Assert.DoesNotContain(kept, await reader.ReadToEndAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(kept, string.Join("\n", Directory.EnumerateFileSystemEntries(_server.DataDirectory, "*", SearchOption.AllDirectories)),
            StringComparison.Ordinal);
    }

    private string BlobPath(string blobId)
    {
        string key = TestBlobs.KeyOf(blobId).Value;
        return Path.Combine(_server.DataDirectory, "blobs", key[..2], key);
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
