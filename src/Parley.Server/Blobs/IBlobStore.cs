using Parley.Server.Devices;

namespace Parley.Server.Blobs;

/// <summary>A blob's metadata: who may upload it, its declared size, how many bytes are on disk,
/// and when it goes. No name, no content type: those are inside the encrypted message.</summary>
public sealed record BlobRecord(BlobKey Key, DeviceId Uploader, long Size, long Received, DateTimeOffset ExpiresAt)
{
    /// <summary>Whether every byte has been received (only then may it be downloaded).</summary>
    public bool Complete => Received == Size;
}

/// <summary>What became of creating a blob.</summary>
public enum CreateBlobOutcome
{
    Created,
    QuotaExceeded,
}

/// <summary>Persistence of blob metadata (the bytes live in <see cref="BlobFiles"/>).</summary>
public interface IBlobStore
{
    /// <summary>Creates <paramref name="blob"/> unless the uploader's unexpired blobs and this one
    /// would together exceed <paramref name="deviceQuota"/> bytes.</summary>
    Task<CreateBlobOutcome> CreateAsync(BlobRecord blob, long deviceQuota, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The blob if it exists and has not expired, else null.</summary>
    Task<BlobRecord?> FindAsync(BlobKey key, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="received"/> bytes are durably on disk, and the new
    /// expiry when the upload finished. False when the blob is gone.</summary>
    Task<bool> RecordReceivedAsync(BlobKey key, long received, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> blobs whose time is up.</summary>
    Task<IReadOnlyList<BlobKey>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Whether a row exists for <paramref name="key"/> (expired or not).</summary>
    Task<bool> ExistsAsync(BlobKey key, CancellationToken cancellationToken);

    /// <summary>Deletes the blob's row; false when there was none.</summary>
    Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellationToken);
}
