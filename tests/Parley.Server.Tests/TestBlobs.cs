using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Parley.Server.Blobs;

namespace Parley.Server.Tests;

/// <summary>Blob helpers: create, upload chunks, ask for the offset.</summary>
public static class TestBlobs
{
    public static async Task<CreateBlobResponse> CreateAsync(TestDevice device, long size)
    {
        using var response = await device.Client.PostAsJsonAsync("/v1/blobs", new { size });
        await TestHttp.EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<CreateBlobResponse>(TestHttp.Json))!;
    }

    /// <summary>PATCHes <paramref name="chunk"/> at <paramref name="offset"/> with Upload-Offset.</summary>
    public static Task<HttpResponseMessage> PatchAsync(HttpClient client, string blobId, long offset, byte[] chunk)
        => SendChunkAsync(client, HttpMethod.Patch, blobId, new ByteArrayContent(chunk), request =>
            request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Sends <paramref name="content"/> as a chunk with whatever headers <paramref name="configure"/> adds.</summary>
    public static Task<HttpResponseMessage> SendChunkAsync(HttpClient client, HttpMethod method, string blobId, HttpContent content,
        Action<HttpRequestMessage> configure)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(method, $"/v1/blobs/{blobId}") { Content = content };
        configure(request);
        return client.SendAsync(request);
    }

    /// <summary>HEAD: the stored offset and the size.</summary>
    public static async Task<(long Offset, long Size)> StatusAsync(HttpClient client, string blobId)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/blobs/{blobId}"));
        await TestHttp.EnsureAsync(response);
        return (long.Parse(response.Headers.GetValues("Upload-Offset").Single(), CultureInfo.InvariantCulture),
            long.Parse(response.Headers.GetValues("Upload-Length").Single(), CultureInfo.InvariantCulture));
    }

    /// <summary>Uploads <paramref name="data"/> in chunks of <paramref name="chunkSize"/>.</summary>
    public static async Task<string> UploadAsync(TestDevice device, byte[] data, int chunkSize)
    {
        CreateBlobResponse blob = await CreateAsync(device, data.Length);
        for (int offset = 0; offset < data.Length; offset += chunkSize)
        {
            using var response = await PatchAsync(device.Client, blob.BlobId, offset, data[offset..Math.Min(data.Length, offset + chunkSize)]);
            await TestHttp.EnsureAsync(response);
        }
        return blob.BlobId;
    }

    /// <summary>The key a blob is stored under.</summary>
    public static BlobKey KeyOf(string blobId) => new BlobId(blobId).Key;
}

/// <summary>A long, deterministic, non-repeating-looking byte sequence produced on the fly, so a
/// test can send hundreds of MiB without holding them.</summary>
public sealed class PatternStream(long length) : Stream
{
    // A prime-length random block: a misplaced chunk shows up as wrong bytes.
    private static readonly byte[] Block = RandomNumberGenerator.GetBytes(65_521);

    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Writes the pattern's bytes from <paramref name="position"/> into <paramref name="destination"/>.</summary>
    public static void Fill(long position, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int start = (int)(position % Block.Length);
            int count = Math.Min(destination.Length, Block.Length - start);
            Block.AsSpan(start, count).CopyTo(destination);
            destination = destination[count..];
            position += count;
        }
    }

    /// <summary>SHA-256 of the first <paramref name="count"/> bytes of the pattern.</summary>
    public static byte[] Hash(long count)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        for (long position = 0; position < count; position += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, count - position);
            Fill(position, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }
        return hash.GetHashAndReset();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        Fill(_position, buffer[..n]);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Request content that sends some bytes and then fails, as a dropped connection would.</summary>
public sealed class BrokenContent(byte[] sent, long declaredLength) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
    {
        await stream.WriteAsync(sent);
        await stream.FlushAsync();
        throw new IOException("The connection dropped (test).");
    }

    protected override bool TryComputeLength(out long length)
    {
        length = declaredLength;
        return true;
    }
}

/// <summary>Request content copied from <paramref name="source"/> as it is sent; without a length it goes chunked.</summary>
public sealed class SourceContent(Stream source, long? length) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => source.CopyToAsync(stream);

    protected override bool TryComputeLength(out long result)
    {
        result = length ?? 0;
        return length is not null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            source.Dispose();
        }
        base.Dispose(disposing);
    }
}
