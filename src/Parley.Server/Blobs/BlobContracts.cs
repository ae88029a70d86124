namespace Parley.Server.Blobs;

/// <summary>Asks for a new blob of <paramref name="Size"/> bytes (the ciphertext's exact length).</summary>
public sealed record CreateBlobRequest(long Size);

/// <summary>A new blob: its id (the download capability to put into the MLS message), where to
/// upload it, when an unfinished upload is dropped, and the largest file the server takes. The
/// ciphertext is of the padded file, so files a little over that limit may pad to a size that fits:
/// the client checks its file against <paramref name="MaxFileSize"/> itself.</summary>
public sealed record CreateBlobResponse(string BlobId, string UploadUrl, long Size, DateTimeOffset ExpiresAt, long MaxFileSize);

/// <summary>The state of a blob's upload: <paramref name="Offset"/> bytes of <paramref name="Size"/>
/// are stored; <paramref name="ExpiresAt"/> is when it goes (moved to completion + retention when complete).</summary>
public sealed record BlobStatusResponse(string BlobId, long Size, long Offset, bool Complete, DateTimeOffset ExpiresAt);
