using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Parley.Content;
using Parley.Server.Devices;
using Parley.Server.Http;

namespace Parley.Server.Blobs;

/// <summary>Attachments: opaque ciphertext blobs, uploaded in resumable chunks by the device that
/// created them and downloaded (with ranges) by any device that holds the id. The server never
/// learns names or content types; those travel inside the encrypted message.</summary>
public static class BlobEndpoints
{
    /// <summary>Content types accepted for chunk bodies (or none at all).</summary>
    private static readonly string[] ChunkMediaTypes = ["application/octet-stream", "application/offset+octet-stream"];

    public static IEndpointRouteBuilder MapBlobEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        long maxBlob = app.ServiceProvider.GetRequiredService<IOptions<ParleyServerOptions>>().Value.BlobLimit();
        app.MapPost("/v1/blobs", Create).RequireAuthorization()
            .WithSummary("Creates an empty blob of a given size; returns its id and upload URL.");
        app.MapMethods("/v1/blobs/{id}", [HttpMethods.Patch, HttpMethods.Put], Upload).RequireAuthorization()
            .WithMetadata(new ChunkBodyLimit(maxBlob))
            .WithSummary("Appends a chunk at the offset named by Upload-Offset or Content-Range (creating device only).");
        app.MapMethods("/v1/blobs/{id}", [HttpMethods.Head], Status).RequireAuthorization()
            .WithSummary("Tells the upload offset (Upload-Offset) and size (Upload-Length) of a blob, to resume an upload.");
        app.MapGet("/v1/blobs/{id}", Download).RequireAuthorization()
            .WithSummary("Downloads a complete blob; supports Range requests.");
        app.MapDelete("/v1/blobs/{id}", Delete).RequireAuthorization()
            .WithSummary("Deletes a blob before its expiry (a device of the creating device's account: the creator, or the new device a link's history was for).");
        return app;
    }

    private static async Task<Results<Created<CreateBlobResponse>, ProblemHttpResult>> Create(
        CreateBlobRequest request, ClaimsPrincipal user, IBlobStore blobs, TimeProvider time, IOptions<ParleyServerOptions> options,
        CancellationToken cancellationToken)
    {
        var (device, _) = DevicePrincipal.Of(user);
        ParleyServerOptions o = options.Value;
        if (request.Size <= 0)
        {
            return Problem.BadRequest(ProblemCodes.InvalidBlobSize, "A blob's size is the exact ciphertext length in bytes, at least 1.");
        }
        long maxBlob = o.BlobLimit();
        if (request.Size > maxBlob)
        {
            // Said in the units of the file a person chose; maxSize is the same limit in ciphertext bytes.
            long maxFile = o.FileLimit();
            return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BlobTooLarge,
                $"Files may have at most {ByteCount.Format(maxFile)} ({maxFile} bytes; a blob, its ciphertext, at most {maxBlob} bytes).",
                new Dictionary<string, object?> { ["maxSize"] = maxBlob, ["maxFileSize"] = maxFile });
        }
        BlobId id = BlobId.New();
        DateTimeOffset now = time.GetUtcNow();
        var blob = new BlobRecord(id.Key, device, request.Size, 0, now + o.BlobUploadWindow);
        if (await blobs.CreateAsync(blob, o.MaxBlobBytesPerDevice, now, cancellationToken) == CreateBlobOutcome.QuotaExceeded)
        {
            return Problem.Conflict(ProblemCodes.BlobQuotaExceeded,
                $"This device's unexpired blobs would pass {o.MaxBlobBytesPerDevice} bytes; delete some or wait until they expire.");
        }
        string url = UrlOf(id);
        return TypedResults.Created(url, new CreateBlobResponse(id.Value, url, blob.Size, blob.ExpiresAt, o.FileLimit()));
    }

    private static async Task<IResult> Upload(string id, HttpContext context, IBlobStore blobs, BlobFiles files, BlobLocks locks,
        TimeProvider time, IOptions<ParleyServerOptions> options)
    {
        var (device, _) = DevicePrincipal.Of(context.User);
        if (!BlobId.TryParse(id, out BlobId blobId) || await blobs.FindAsync(blobId.Key, time.GetUtcNow(), context.RequestAborted) is not { } found)
        {
            return NotFound();
        }
        if (found.Uploader != device)
        {
            return Problem.Forbidden(ProblemCodes.NotUploader, "Only the device that created a blob may upload to it.");
        }
        if (!ChunkPosition.TryRead(context.Request.Headers, out ChunkPosition position, out string error))
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, error);
        }
        if (context.Request.ContentType is { } contentType
            && !ChunkMediaTypes.Any(t => contentType.StartsWith(t, StringComparison.OrdinalIgnoreCase)))
        {
            return Problem.Create(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                "Send chunk bytes as 'Content-Type: application/octet-stream'.");
        }
        if (position.Total is { } total && total != found.Size)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"Content-Range names a size of {total} but the blob has {found.Size} bytes.");
        }
        if (position.Length is { } declared && context.Request.ContentLength is { } length && declared != length)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "Content-Range and Content-Length disagree on the chunk's length.");
        }
        if (!locks.TryAcquire(found.Key, out BlobLocks.Lease lease))
        {
            return OffsetProblem(context, ProblemCodes.UploadInProgress, found.Received,
                "Another upload to this blob is running; wait for it, then ask HEAD for the offset.");
        }
        using (lease)
        {
            // Read again under the lock: a chunk that just finished moved the offset.
            DateTimeOffset now = time.GetUtcNow();
            if (await blobs.FindAsync(found.Key, now, CancellationToken.None) is not { } blob)
            {
                return NotFound();
            }
            long current = Math.Min(blob.Received, files.LengthOf(blob.Key));
            if (position.Offset != current)
            {
                return OffsetProblem(context, ProblemCodes.UploadOffsetMismatch, current,
                    $"The blob holds {current} bytes; send the chunk that starts there (no gaps, no overlaps).");
            }
            long room = blob.Size - current;
            long? chunk = position.Length ?? context.Request.ContentLength;
            if (chunk > room)
            {
                return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BlobTooLarge,
                    $"The chunk would pass the blob's size: {room} bytes remain.", new Dictionary<string, object?> { ["offset"] = current });
            }
            long limit = Math.Min(room, chunk ?? room);
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            {
                bodyLimit.MaxRequestBodySize = limit;
            }
            ChunkWrite write = await files.AppendAsync(blob.Key, current, context.Request.Body, limit);
            if (write.End == ChunkEnd.TooLarge)
            {
                return Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BlobTooLarge,
                    $"The chunk would pass the blob's size or its Content-Range: at most {limit} bytes fit; nothing was kept.",
                    new Dictionary<string, object?> { ["offset"] = current });
            }
            long received = current + write.Written;
            DateTimeOffset expiresAt = blob.ExpiresAt;
            if (write.Written > 0 || received != blob.Received)
            {
                if (received == blob.Size)
                {
                    expiresAt = time.GetUtcNow() + (options.Value.BlobRetention ?? options.Value.MessageRetention);
                }
                // Not cancellable: the bytes are on disk, so the offset must follow them even if the client left.
                if (!await blobs.RecordReceivedAsync(blob.Key, received, expiresAt, CancellationToken.None))
                {
                    return NotFound();
                }
            }
            context.Response.Headers[ChunkPosition.UploadOffsetHeader] = received.ToString(CultureInfo.InvariantCulture);
            if (write.End == ChunkEnd.Interrupted)
            {
                return Problem.Create(StatusCodes.Status400BadRequest, ProblemCodes.ChunkInterrupted,
                    $"The chunk ended early; {received} bytes are stored. Resume from there.",
                    new Dictionary<string, object?> { ["offset"] = received });
            }
            return TypedResults.Ok(new BlobStatusResponse(blobId.Value, blob.Size, received, received == blob.Size, expiresAt));
        }
    }

    private static async Task<IResult> Status(string id, HttpContext context, IBlobStore blobs, BlobFiles files, TimeProvider time)
    {
        if (!BlobId.TryParse(id, out BlobId blobId) || await blobs.FindAsync(blobId.Key, time.GetUtcNow(), context.RequestAborted) is not { } blob)
        {
            return NotFound();
        }
        long offset = Math.Min(blob.Received, files.LengthOf(blob.Key));
        IHeaderDictionary headers = context.Response.Headers;
        headers[ChunkPosition.UploadOffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
        headers[ChunkPosition.UploadLengthHeader] = blob.Size.ToString(CultureInfo.InvariantCulture);
        headers.CacheControl = "no-store";
        if (offset == blob.Size)
        {
            headers.AcceptRanges = "bytes";
            headers.ContentLength = blob.Size;
        }
        return Results.Empty;
    }

    private static async Task<IResult> Download(string id, HttpContext context, IBlobStore blobs, BlobFiles files, TimeProvider time)
    {
        if (!BlobId.TryParse(id, out BlobId blobId) || await blobs.FindAsync(blobId.Key, time.GetUtcNow(), context.RequestAborted) is not { } blob)
        {
            return NotFound();
        }
        if (!blob.Complete)
        {
            return OffsetProblem(context, ProblemCodes.BlobIncomplete, blob.Received,
                $"The blob's upload is not finished ({blob.Received} of {blob.Size} bytes); try again later.");
        }
        string path = files.PathOf(blob.Key);
        if (!File.Exists(path))
        {
            return NotFound();
        }
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.PhysicalFile(path, "application/octet-stream",
            entityTag: new EntityTagHeaderValue("\"" + blob.Key.Value + "\""), enableRangeProcessing: true);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ClaimsPrincipal user, IBlobStore blobs,
        BlobFiles files, BlobLocks locks, IDeviceStore devices, TimeProvider time, CancellationToken cancellationToken)
    {
        var (device, account) = DevicePrincipal.Of(user);
        if (!BlobId.TryParse(id, out BlobId blobId) || await blobs.FindAsync(blobId.Key, time.GetUtcNow(), cancellationToken) is not { } blob)
        {
            return NotFound();
        }
        // A linked device deletes the history bundle its approving device left for it (docs/device-linking.md), so a
        // device of the creator's account may delete; no other account's device may.
        if (blob.Uploader != device && (await devices.FindAsync(blob.Uploader, cancellationToken))?.AccountId != account)
        {
            return Problem.Forbidden(ProblemCodes.NotUploader, "Only a device of the account that created a blob may delete it.");
        }
        if (!locks.TryAcquire(blob.Key, out BlobLocks.Lease lease))
        {
            return Problem.Conflict(ProblemCodes.UploadInProgress, "An upload to this blob is running; retry when it has ended.");
        }
        using (lease)
        {
            await blobs.DeleteAsync(blob.Key, CancellationToken.None);
            files.Delete(blob.Key);
        }
        return TypedResults.NoContent();
    }

    private static string UrlOf(BlobId id) => "/v1/blobs/" + id.Value;

    private static ProblemHttpResult NotFound()
        => Problem.NotFound(ProblemCodes.BlobNotFound, "There is no blob with this id; it may have expired or been deleted.");

    private static ProblemHttpResult OffsetProblem(HttpContext context, string code, long offset, string detail)
    {
        context.Response.Headers[ChunkPosition.UploadOffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
        return Problem.Create(StatusCodes.Status409Conflict, code, detail, new Dictionary<string, object?> { ["offset"] = offset });
    }

    /// <summary>Lets chunk uploads past the general request body limit (up to the largest blob);
    /// each upload then narrows it to the room left in its blob.</summary>
    private sealed class ChunkBodyLimit(long maxBytes) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize { get; } = maxBytes;
    }
}
