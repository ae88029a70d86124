using System.Net;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Parley.Server.Tests;

/// <summary>Tests that measure the process and so run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}

[Collection(AloneCollection.Name)]
public sealed class BlobStreamingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long Size = 200L * 1024 * 1024;

    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_200_MiB_blob_streams_up_and_down_without_being_held_in_memory()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        var blob = await TestBlobs.CreateAsync(alice.Device, Size);
        byte[] expected = PatternStream.Hash(Size);

        using HttpClient uploader = _server.CreateStreamingClient(alice.Device.Credential);
        using HttpClient downloader = _server.CreateStreamingClient(bob.Device.Credential);

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        using var peak = new PeakMemory();
        using (var upload = await TestBlobs.SendChunkAsync(uploader, HttpMethod.Patch, blob.BlobId,
                   new SourceContent(new PatternStream(Size), Size), request => request.Headers.Add("Upload-Offset", "0")))
        {
            await TestHttp.EnsureAsync(upload);
        }
        long afterUpload = peak.Max;

        using var download = await downloader.GetAsync(blob.UploadUrl, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(Size, download.Content.Headers.ContentLength);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (Stream body = await download.Content.ReadAsStreamAsync())
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        Assert.Equal(expected, hash.GetHashAndReset());
        output.WriteLine($"Heap growth: upload {(afterUpload - baseline) >> 20} MiB, download {(peak.Max - baseline) >> 20} MiB.");
        // Holding the blob would add 200 MiB; streaming adds buffers and uncollected garbage only.
        const long allowed = 64L * 1024 * 1024;
        Assert.True(afterUpload - baseline < allowed, $"The heap grew by {(afterUpload - baseline) >> 20} MiB during the upload.");
        Assert.True(peak.Max - baseline < allowed, $"The heap grew by {(peak.Max - baseline) >> 20} MiB during the download.");
    }

    /// <summary>Samples the managed heap size every few milliseconds and keeps the largest value.</summary>
    private sealed class PeakMemory : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private long _max;

        public PeakMemory() => _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                long now = GC.GetTotalMemory(forceFullCollection: false);
                long seen;
                while (now > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
                {
                }
                await Task.Delay(5);
            }
        });

        public long Max => Interlocked.Read(ref _max);

        public void Dispose()
        {
            _stop.Cancel();
            _sampling.Wait();
            _stop.Dispose();
        }
    }
}
