using System.Security.Cryptography;
using System.Text.Json;
using Parley.Client;

namespace Parley.Cli.Tests;

/// <summary>Files through the real <c>parley</c> binary and the real server: fetching a received file later, size
/// limits in the units people use, and transfers that resume after a cut.</summary>
public sealed class FileTransferTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => RunOn(fixture.Server, home, args);

    private Task<CliResult> RunOn(ServerProcess server, string home, params string[] args)
        => Cli.RunAsync(["--home", Home(home), "--server", server.Address.ToString(), .. args], null, TimeSpan.FromSeconds(120));

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output).RootElement;
    }

    private async Task<(string Alice, string Bob)> PairAsync(ServerProcess server)
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await RunOn(server, alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await RunOn(server, bob, "account", "create", bob)).ExitCode);
        return (alice, bob);
    }

    private string RandomFile(string name, int bytes)
    {
        string path = Path.Combine(fixture.Root, Unique("src") + "-" + name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(bytes));
        return path;
    }

    [Fact]
    public async Task A_file_received_without_downloading_is_downloaded_later_by_its_message_id()
    {
        var (alice, bob) = await PairAsync(fixture.Server);
        Assert.Equal(0, (await Run(alice, "send", bob, "a text first")).ExitCode);
        string file = RandomFile("plans.bin", 300_000);
        var sent = Json(await Run(alice, "send-file", bob, file, "--caption", "the plans", "--json"));
        Assert.Equal("file", sent.GetProperty("kind").GetString());

        // Received without --download-dir: only the message arrives.
        var inbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().ToList();
        var fileMessage = inbox.Single(m => m.GetProperty("kind").GetString() == "file");
        Assert.Equal(JsonValueKind.Null, fileMessage.GetProperty("attachment").GetProperty("savedTo").ValueKind);
        string id = fileMessage.GetProperty("id").GetString()!;
        string textId = inbox.Single(m => m.GetProperty("kind").GetString() == "text").GetProperty("id").GetString()!;

        string folder = Path.Combine(fixture.Root, Unique("later"));
        var downloaded = Json(await Run(bob, "download", alice, id, "--out", folder, "--json"));
        Assert.Equal(id, downloaded.GetProperty("id").GetString());
        Assert.Equal("the plans", downloaded.GetProperty("text").GetString());
        string saved = downloaded.GetProperty("attachment").GetProperty("savedTo").GetString()!;
        Assert.Equal(folder, Path.GetDirectoryName(saved));
        Assert.Equal(Path.GetFileName(file), Path.GetFileName(saved));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(saved));

        // Again, without --json: a second copy beside the first, and a sentence saying where.
        var again = await Run(bob, "download", alice, id, "--out", folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"Saved {Path.GetFileName(file)} (293.0 KiB) to ", again.Output);
        Assert.Equal(2, Directory.GetFiles(folder).Length);

        Cli.AssertOneSentence(await Run(bob, "download", alice, textId, "--out", folder), $"Message {textId} is not a file.");
        Cli.AssertOneSentence(await Run(bob, "download", alice, "no-such-id", "--out", folder), "There is no message no-such-id");
        // The first letters of the id are enough, as for the other commands that take one.
        Assert.Equal(saved.Replace(".bin", " (2).bin"),
            Json(await Run(bob, "download", alice, id[..8], "--out", folder, "--json")).GetProperty("attachment").GetProperty("savedTo").GetString());
        Cli.AssertOneSentence(await Run(bob, "download", "nobody-here", id, "--out", folder), "No conversation is named nobody-here");
        Assert.Equal(3, Directory.GetFiles(folder).Length);
    }

    [Fact]
    public async Task Downloading_a_file_whose_blob_expired_says_so_in_one_sentence()
    {
        using var root = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(root.Sub("server"), "--Parley:BlobRetention", "00:00:02");
        var (alice, bob) = await PairAsync(server);
        string file = RandomFile("old.txt", 5000);
        Assert.Equal(0, (await RunOn(server, alice, "send-file", bob, file)).ExitCode);
        string id = Json(await RunOn(server, bob, "receive", "--json")).EnumerateArray().Single().GetProperty("id").GetString()!;

        await Task.Delay(TimeSpan.FromSeconds(3));
        string folder = root.Sub("downloads");
        Cli.AssertOneSentence(await RunOn(server, bob, "download", alice, id, "--out", folder),
            $"{Path.GetFileName(file)} is no longer on the server: it expired or its sender deleted it.");
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any());
    }

    [Fact]
    public async Task A_file_over_the_servers_limit_is_refused_in_its_own_units_before_upload_and_one_at_the_limit_goes_through()
    {
        using var root = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(root.Sub("server"), "--Parley:MaxFileBytes", "100000");
        var (alice, bob) = await PairAsync(server);
        string tooBig = RandomFile("too-big.bin", 100_001);
        string atLimit = RandomFile("at-limit.bin", 100_000);

        Cli.AssertOneSentence(await RunOn(server, alice, "send-file", bob, tooBig),
            "too-big.bin is 97.7 KiB (100001 bytes); this server takes files of at most 97.7 KiB (100000 bytes).");
        // Nothing was encrypted, uploaded or sent.
        Assert.Empty(Directory.GetFiles(Path.Combine(Home(alice), "attachments")));
        Assert.Empty(Directory.GetFiles(Path.Combine(root.Sub("server"), "blobs"), "*", SearchOption.AllDirectories));

        Assert.Equal(0, (await RunOn(server, alice, "send-file", bob, atLimit)).ExitCode);
        string folder = root.Sub("downloads");
        var received = Json(await RunOn(server, bob, "receive", "--json", "--download-dir", folder)).EnumerateArray().Single();
        Assert.Equal(100_000, received.GetProperty("attachment").GetProperty("size").GetInt64());
        Assert.Equal(await File.ReadAllBytesAsync(atLimit), await File.ReadAllBytesAsync(received.GetProperty("attachment").GetProperty("savedTo").GetString()!));
    }

    [Fact]
    public async Task A_send_file_killed_midway_is_finished_by_running_it_again_without_a_second_upload()
    {
        using var root = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(root.Sub("server"));
        var (alice, bob) = await PairAsync(server);
        string file = RandomFile("backup.bin", 256 << 20);
        string blobs = Path.Combine(root.Sub("server"), "blobs");

        // Kill the sending process once the server holds part of the file.
        var info = Cli.StartInfo(["--home", Home(alice), "--server", server.Address.ToString(), "send-file", bob, file]);
        using (var sending = System.Diagnostics.Process.Start(info)!)
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!(Directory.Exists(blobs) && Directory.GetFiles(blobs, "*", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0)))
            {
                if (sending.HasExited)
                {
                    Assert.Fail("send-file ended before it was cut: " + await sending.StandardError.ReadToEndAsync());
                }
                Assert.True(DateTime.UtcNow < deadline, "the upload never started");
                await Task.Delay(10);
            }
            sending.Kill(entireProcessTree: true);
            await sending.WaitForExitAsync();
        }
        string partial = Assert.Single(Directory.GetFiles(blobs, "*", SearchOption.AllDirectories));
        Assert.InRange(new FileInfo(partial).Length, 1, (256L << 20) - 1);

        var again = await RunOn(server, alice, "send-file", bob, file, "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        // The same blob was finished, and the file was encrypted once.
        Assert.Equal([partial], Directory.GetFiles(blobs, "*", SearchOption.AllDirectories));
        Assert.Single(Directory.GetFiles(Path.Combine(Home(alice), "attachments")));

        string folder = root.Sub("downloads");
        var received = Json(await RunOn(server, bob, "receive", "--json", "--download-dir", folder)).EnumerateArray().Single();
        byte[] sent = await File.ReadAllBytesAsync(file);
        byte[] got = await File.ReadAllBytesAsync(received.GetProperty("attachment").GetProperty("savedTo").GetString()!);
        Assert.True(sent.AsSpan().SequenceEqual(got), "the received file differs from the sent one");
    }

    [Fact]
    public async Task An_upload_cut_off_midway_resumes_where_the_server_copy_ends_when_the_file_is_sent_again()
    {
        using var devices = new Devices(fixture);
        var cuts = new TransferCutHandler();
        var options = Devices.Options with { HttpHandler = cuts };
        var alice = await devices.CreateAsync("alice", options);
        var bob = await devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        string file = RandomFile("video.bin", 20 << 20);

        using (var stop = new CancellationTokenSource())
        {
            cuts.StopAfterUploadChunks(3, stop);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => alice.SendFileAsync(chat.Id, file, "take two", null, null, stop.Token));
        }
        Assert.Equal(["POST /v1/blobs", "HEAD", "PATCH 0", "PATCH 4194304", "PATCH 8388608"], cuts.BlobRequests);
        string home = devices.Home(alice.Username);
        devices.Close(alice);

        // A new run of the client on the same device: it finds the unfinished upload and goes on from 12 MiB.
        cuts.Clear();
        using var again = ParleyClient.Open(home, Cli.Passphrase, devices.Server, options);
        var uploads = new List<TransferProgress>();
        await again.SendFileAsync(chat.Id, file, "take two", null, new SyncProgress<TransferProgress>(uploads.Add));
        Assert.DoesNotContain("POST /v1/blobs", cuts.BlobRequests);
        Assert.Equal(["HEAD", "PATCH 12582912", "PATCH 16777216", "PATCH 20971520"], cuts.BlobRequests);
        Assert.DoesNotContain(uploads, p => p.Stage == TransferStage.Encrypting);
        Assert.Equal(12L << 20, uploads.First(p => p.Stage == TransferStage.Uploading).Done);
        Assert.Empty(again.Store.GetUnsentAttachments());

        var received = Assert.Single((await bob.SyncAsync()).Messages).Message;
        Assert.Equal("take two", received.Text);
        string saved = await bob.DownloadAttachmentAsync(Assert.Single(bob.AttachmentsOf(received)), Path.Combine(fixture.Root, Unique("resumed")));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(saved));
    }

    [Fact]
    public async Task A_download_cut_off_midway_continues_from_the_partial_file()
    {
        using var devices = new Devices(fixture);
        var cuts = new TransferCutHandler();
        var options = Devices.Options with { HttpHandler = cuts };
        var alice = await devices.CreateAsync("alice");
        var bob = await devices.CreateAsync("bob", options);
        var chat = await alice.OpenDirectAsync(bob.Username);
        string file = RandomFile("archive.bin", 12 << 20);
        var sent = await alice.SendFileAsync(chat.Id, file);
        await bob.SyncAsync();
        var bobChat = bob.GetConversation(alice.Username);
        string folder = Path.Combine(fixture.Root, Unique("cut"));

        cuts.Clear();
        using (var stop = new CancellationTokenSource())
        {
            cuts.StopAfterDownloadBytes(5 << 20, stop);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bob.DownloadAttachmentAsync(bobChat.Id, sent.MessageId, folder, null, stop.Token));
        }
        string partial = Assert.Single(Directory.GetFiles(bob.Store.AttachmentsDirectory, "*.part"));
        long kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 5 << 20, (12 << 20) - 1);
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any());
        string home = devices.Home(bob.Username);
        devices.Close(bob);

        cuts.Clear();
        using var again = ParleyClient.Open(home, Cli.Passphrase, devices.Server, options);
        var downloads = new List<TransferProgress>();
        string saved = await again.DownloadAttachmentAsync(bobChat.Id, sent.MessageId, folder, new SyncProgress<TransferProgress>(downloads.Add));
        Assert.Equal([$"GET bytes={kept}-"], cuts.BlobRequests);
        Assert.True(downloads.First(p => p.Stage == TransferStage.Downloading).Done > kept - 1);
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(saved));
        Assert.Empty(Directory.GetFiles(again.Store.AttachmentsDirectory, "*.part"));
    }
}

/// <summary>Records the blob requests a device makes and stops a transfer midway, as a closed laptop or a killed
/// process would: after some upload chunks, or after some downloaded bytes, it cancels the caller's token.</summary>
internal sealed class TransferCutHandler : DelegatingHandler
{
    private readonly RequestLogHandler _log;
    private int _uploadChunksLeft = int.MaxValue;
    private long _downloadBytesLeft = long.MaxValue;
    private CancellationTokenSource? _stop;

    public TransferCutHandler() : this(new RequestLogHandler(Describe))
    {
    }

    private TransferCutHandler(RequestLogHandler log) : base(log) => _log = log;

    /// <summary>The blob requests since <see cref="Clear"/>: <c>PATCH offset</c>, <c>GET range</c>, <c>HEAD</c>, <c>POST /v1/blobs</c>.</summary>
    public IReadOnlyList<string> BlobRequests => _log.Requests;

    public void Clear()
    {
        _log.Clear();
        _uploadChunksLeft = int.MaxValue;
        _downloadBytesLeft = long.MaxValue;
        _stop = null;
    }

    public void StopAfterUploadChunks(int chunks, CancellationTokenSource stop) => (_uploadChunksLeft, _stop) = (chunks, stop);

    public void StopAfterDownloadBytes(long bytes, CancellationTokenSource stop) => (_downloadBytesLeft, _stop) = (bytes, stop);

    private static string? Describe(HttpRequestMessage request)
    {
        string path = request.RequestUri!.AbsolutePath;
        return !path.StartsWith("/v1/blobs", StringComparison.Ordinal) ? null : request.Method.Method switch
        {
            "PATCH" => "PATCH " + request.Headers.GetValues("Upload-Offset").Single(),
            "GET" => "GET " + (request.Headers.Range?.ToString() ?? "all"),
            "HEAD" => "HEAD",
            _ => $"{request.Method} {path}",
        };
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.RequestUri!.AbsolutePath.StartsWith("/v1/blobs", StringComparison.Ordinal))
        {
            return await base.SendAsync(request, cancellationToken);
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Patch && response.IsSuccessStatusCode && --_uploadChunksLeft == 0)
        {
            await _stop!.CancelAsync();
        }
        if (request.Method == HttpMethod.Get && response.IsSuccessStatusCode && _downloadBytesLeft != long.MaxValue)
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var cut = new StreamContent(new CutStream(body, _downloadBytesLeft, _stop!));
            foreach (var header in response.Content.Headers)
            {
                cut.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            response.Content = cut;
        }
        return response;
    }

    // Passes a body through until `limit` bytes went by, then cancels the reader's stop token, as if it were stopped.
    private sealed class CutStream(Stream inner, long limit, CancellationTokenSource stop) : Stream
    {
        private long _passed;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _passed; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_passed >= limit)
            {
                await stop.CancelAsync();
                throw new OperationCanceledException(stop.Token);
            }
            int read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _passed)], cancellationToken);
            _passed += read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
