using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Xunit.Abstractions;

namespace Parley.Server.Tests;

[Collection(AloneCollection.Name)]
public sealed class RealServerBlobTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "parley-server-tests", "real-blobs-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => ServerFactory.DeleteQuietly(_data);

    [Fact]
    public async Task Over_real_http_chunks_pass_the_request_limit_a_dropped_chunk_resumes_and_200_MiB_stream_through()
    {
        await using RealServerProcess server = await RealServerProcess.StartAsync(_data);
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);

        // Chunks of 8 MiB, far above the 1 MiB limit of other requests.
        byte[] data = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        var blob = await TestBlobs.CreateAsync(alice.Device, data.Length);
        await TestHttp.EnsureAsync(await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, 0, data[..(8 << 20)]));

        // The connection drops 3 MiB into the next 8 MiB chunk: what arrived is kept, and HEAD tells
        // where to resume (Kestrel may drop the last buffer it held when the connection broke).
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, server.Address.Port);
            NetworkStream stream = tcp.GetStream();
            string head = $"PATCH {blob.UploadUrl} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {alice.Device.Credential}\r\n"
                          + $"Content-Type: application/octet-stream\r\nUpload-Offset: {8 << 20}\r\nContent-Length: {8 << 20}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(data.AsMemory(8 << 20, 3 << 20));
            await stream.FlushAsync();
        }
        long resumeAt = 0;
        await MailboxTests.WaitUntilAsync(async () =>
        {
            resumeAt = (await TestBlobs.StatusAsync(alice.Device.Client, blob.BlobId)).Offset;
            if (resumeAt == 8 << 20)
            {
                return false;
            }
            // An empty chunk at the offset succeeds only once the broken request has let go of the blob.
            using var probe = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, resumeAt, []);
            return probe.IsSuccessStatusCode;
        });
        output.WriteLine($"Resuming at {resumeAt} of {data.Length}.");
        Assert.InRange(resumeAt, (8 << 20) + 1, 11 << 20);
        using (var rest = await TestBlobs.PatchAsync(alice.Device.Client, blob.BlobId, resumeAt, data[(int)resumeAt..]))
        {
            await TestHttp.EnsureAsync(rest);
        }

        Assert.Equal(data, await bob.Device.Client.GetByteArrayAsync(blob.UploadUrl));
        using (var head = await bob.Device.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, blob.UploadUrl)))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(data.Length.ToString(CultureInfo.InvariantCulture), head.Headers.GetValues("Upload-Offset").Single());
            Assert.Equal(data.Length, head.Content.Headers.ContentLength);
        }
        using var ranged = new HttpRequestMessage(HttpMethod.Get, blob.UploadUrl);
        ranged.Headers.Range = new RangeHeaderValue(data.Length - 100, null);
        using var tail = await bob.Device.Client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(data[^100..], await tail.Content.ReadAsByteArrayAsync());

        // 200 MiB in one request, and back: the server's peak resident memory barely moves.
        const long size = 200L * 1024 * 1024;
        var big = await TestBlobs.CreateAsync(alice.Device, size);
        long residentBefore = server.MemoryKiB("VmRSS");
        long peakBefore = server.MemoryKiB("VmHWM");
        using (var upload = await TestBlobs.SendChunkAsync(alice.Device.Client, HttpMethod.Patch, big.BlobId,
                   new SourceContent(new PatternStream(size), size), request => request.Headers.Add("Upload-Offset", "0")))
        {
            await TestHttp.EnsureAsync(upload);
        }
        using var download = await bob.Device.Client.GetAsync(big.UploadUrl, HttpCompletionOption.ResponseHeadersRead);
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
        Assert.Equal(PatternStream.Hash(size), hash.GetHashAndReset());
        long peakAfter = server.MemoryKiB("VmHWM");

        // Blob ids are capabilities and credentials are secrets: neither reaches the log.
        string log = server.Output;
        Assert.DoesNotContain(blob.BlobId, log, StringComparison.Ordinal);
        Assert.DoesNotContain(big.BlobId, log, StringComparison.Ordinal);
        Assert.DoesNotContain(alice.Device.Credential.Split('.')[1], log, StringComparison.Ordinal);
        output.WriteLine($"Server resident before {residentBefore >> 10} MiB, peak before {peakBefore >> 10} MiB, peak after {peakAfter >> 10} MiB.");
        Assert.True(peakAfter - Math.Max(residentBefore, 0) < 100 * 1024,
            string.Create(CultureInfo.InvariantCulture, $"The server's peak resident memory reached {peakAfter >> 10} MiB from {residentBefore >> 10} MiB."));
    }
}
