// Parley server protocol v1, blobs: POST /v1/blobs (create), PATCH /v1/blobs/{id} with Upload-Offset
// (append a chunk), HEAD /v1/blobs/{id} (the offset reached, to resume), GET /v1/blobs/{id} with Range.
// The server stores ciphertext only; the key and digest travel inside the MLS message.
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Parley.Client.Network;

/// <summary>Asks for a new blob of the ciphertext's exact size.</summary>
public sealed record CreateBlobRequest(long Size);

/// <summary>A new blob: its id (the download capability), upload URL, expiry of an unfinished upload, and the largest
/// file the server takes (absent from older servers).</summary>
public sealed record CreateBlobResponse(string BlobId, string UploadUrl, long Size, DateTimeOffset ExpiresAt, long? MaxFileSize = null);

/// <summary>How much of a blob is stored.</summary>
public sealed record BlobStatusResponse(string BlobId, long Size, long Offset, bool Complete, DateTimeOffset ExpiresAt);

/// <summary>Uploads and downloads blobs in resumable chunks: an interrupted upload asks the server where it
/// stopped and goes on from there; an interrupted download continues with a Range request.</summary>
public sealed class BlobTransfer
{
    /// <summary>Bytes per upload request.</summary>
    public const int UploadChunkSize = 4 * 1024 * 1024;

    private const int MaxAttempts = 6;
    private readonly ParleyServerClient _server;

    public BlobTransfer(ParleyServerClient server) => _server = server ?? throw new ArgumentNullException(nameof(server));

    /// <summary>Creates a blob for <paramref name="size"/> bytes of ciphertext.</summary>
    public async Task<CreateBlobResponse> CreateAsync(long size, CancellationToken cancellationToken = default)
    {
        using var response = await _server.SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "v1/blobs")
        {
            Content = JsonContent.Create(new CreateBlobRequest(size), BlobJsonContext.Default.CreateBlobRequest),
        }, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(BlobJsonContext.Default.CreateBlobResponse, cancellationToken).ConfigureAwait(false)
               ?? throw new ServerUnavailableException("The server sent an empty answer to a blob creation.");
    }

    /// <summary>Deletes a blob this device created (an upload it gave up).</summary>
    public async Task DeleteAsync(string blobId, CancellationToken cancellationToken = default)
    {
        using var response = await _server.SendRawAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"v1/blobs/{Uri.EscapeDataString(blobId)}"),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many bytes of the blob the server holds.</summary>
    public async Task<long> GetOffsetAsync(string blobId, CancellationToken cancellationToken = default)
    {
        using var response = await _server.SendRawAsync(() => new HttpRequestMessage(HttpMethod.Head, $"v1/blobs/{Uri.EscapeDataString(blobId)}"),
            cancellationToken).ConfigureAwait(false);
        return response.Headers.TryGetValues("Upload-Offset", out var values)
               && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long offset)
            ? offset
            : throw new ServerUnavailableException("The server did not say how much of the blob it holds.");
    }

    /// <summary>Uploads <paramref name="source"/> (seekable, the blob's whole ciphertext) from wherever the server's
    /// copy ends, retrying after failures; reports bytes stored to <paramref name="progress"/>.</summary>
    public async Task UploadAsync(string blobId, Stream source, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        long size = source.Length;
        long offset = await GetOffsetAsync(blobId, cancellationToken).ConfigureAwait(false);
        progress?.Report(offset);
        byte[] buffer = new byte[(int)Math.Min(UploadChunkSize, Math.Max(1, size))];
        int failures = 0;
        var backoff = new Backoff { Initial = TimeSpan.FromMilliseconds(200), Maximum = TimeSpan.FromSeconds(5) };
        while (offset < size)
        {
            int length = (int)Math.Min(buffer.Length, size - offset);
            source.Position = offset;
            await source.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            long start = offset;
            try
            {
                using var response = await _server.SendRawAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Patch, $"v1/blobs/{Uri.EscapeDataString(blobId)}")
                    {
                        Content = new ByteArrayContent(buffer, 0, length),
                    };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    request.Headers.Add("Upload-Offset", start.ToString(CultureInfo.InvariantCulture));
                    return request;
                }, cancellationToken).ConfigureAwait(false);
                var status = await response.Content.ReadFromJsonAsync(BlobJsonContext.Default.BlobStatusResponse, cancellationToken).ConfigureAwait(false);
                offset = status?.Offset ?? start + length;
                failures = 0;
                backoff.Reset();
            }
            catch (Exception e) when (e is ServerUnavailableException or IOException or HttpRequestException
                                          || e is ServerProblemException { Status: >= 500 or 409 or 429 } || e is ServerProblemException { Code: "chunk_interrupted" })
            {
                if (++failures >= MaxAttempts)
                {
                    throw;
                }
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(false);
                // Ask where the server's copy ends, then go on from there.
                offset = await GetOffsetAsync(blobId, cancellationToken).ConfigureAwait(false);
            }
            progress?.Report(offset);
        }
    }

    /// <summary>Downloads the blob into <paramref name="destination"/> (opened for append), starting after the bytes it
    /// already holds and continuing with Range requests after failures; stops at <paramref name="expectedLength"/>.</summary>
    public async Task DownloadAsync(string blobId, Stream destination, long expectedLength, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int failures = 0;
        var backoff = new Backoff { Initial = TimeSpan.FromMilliseconds(200), Maximum = TimeSpan.FromSeconds(5) };
        byte[] buffer = new byte[81920];
        while (destination.Length < expectedLength)
        {
            long from = destination.Length;
            try
            {
                using var response = await _server.SendRawAsync(() =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, $"v1/blobs/{Uri.EscapeDataString(blobId)}");
                    if (from > 0)
                    {
                        request.Headers.Range = new RangeHeaderValue(from, null);
                    }
                    return request;
                }, cancellationToken).ConfigureAwait(false);
                if (from > 0 && response.StatusCode != System.Net.HttpStatusCode.PartialContent)
                {
                    // The server sent the whole blob: start over.
                    destination.SetLength(0);
                }
                destination.Position = destination.Length;
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (destination.Length + read > expectedLength)
                    {
                        throw new ServerProblemException(0, "blob_too_long", "The server sent more bytes than the attachment has.");
                    }
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    progress?.Report(destination.Length);
                }
                await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ServerUnavailableException or IOException or HttpRequestException
                                          || e is ServerProblemException { Status: >= 500 or 429 })
            {
                if (++failures >= MaxAttempts)
                {
                    throw;
                }
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (destination.Length < expectedLength && from == destination.Length && ++failures >= MaxAttempts)
            {
                throw new ServerUnavailableException("The server ended the download early again and again.");
            }
        }
    }
}

/// <summary>Source-generated JSON of the blob endpoints.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateBlobRequest))]
[JsonSerializable(typeof(CreateBlobResponse))]
[JsonSerializable(typeof(BlobStatusResponse))]
internal sealed partial class BlobJsonContext : JsonSerializerContext;
