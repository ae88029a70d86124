// What a message carries about an encrypted file (docs/client-envelope.md, "attachment").
namespace Parley.Content;

/// <summary>Everything a recipient needs to fetch and decrypt an attachment: where the ciphertext is,
/// its key and digest, and how it was chunked. The key is secret: it never prints.</summary>
/// <param name="BlobId">The server's id of the uploaded ciphertext.</param>
/// <param name="Size">The plaintext size in bytes.</param>
/// <param name="ContentType">The MIME type the sender gave.</param>
/// <param name="FileName">The file name the sender gave (display only; never used as a path as is).</param>
/// <param name="ChunkSize">Plaintext bytes per chunk.</param>
/// <param name="Key">The 32-byte AES-256-GCM key.</param>
/// <param name="Digest">SHA-256 of the whole ciphertext.</param>
/// <param name="PlaintextDigest">SHA-256 of the plaintext, committed to by the franked message so a reported file
/// can be checked; null in references from before it existed (such files are not reportable).</param>
public sealed record AttachmentReference(
    string BlobId,
    long Size,
    string ContentType,
    string FileName,
    int ChunkSize,
    byte[] Key,
    byte[] Digest,
    byte[]? PlaintextDigest = null)
{
    /// <summary>Whether the fields can describe a scheme-1 attachment: a size of at least 0, a chunk size in range,
    /// a key and a digest of the right lengths, and a plaintext digest of the right length when present. Decoders
    /// (the envelope, the client's store) refuse a reference that is not.</summary>
    public bool IsWellFormed
        => Size >= 0 && ChunkSize is >= AttachmentCipher.MinChunkSize and <= AttachmentCipher.MaxChunkSize
           && Key is { Length: AttachmentCipher.KeySize } && Digest is { Length: AttachmentCipher.DigestSize }
           && PlaintextDigest is null or { Length: AttachmentCipher.DigestSize };

    /// <summary>The ciphertext length for this plaintext size and chunk size.</summary>
    public long CiphertextLength => AttachmentCipher.CiphertextLength(Size, ChunkSize);

    public bool Equals(AttachmentReference? other)
        => other is not null && BlobId == other.BlobId && Size == other.Size && ContentType == other.ContentType
           && FileName == other.FileName && ChunkSize == other.ChunkSize
           && Key.AsSpan().SequenceEqual(other.Key) && Digest.AsSpan().SequenceEqual(other.Digest)
           && (PlaintextDigest is null ? other.PlaintextDigest is null
               : other.PlaintextDigest is not null && PlaintextDigest.AsSpan().SequenceEqual(other.PlaintextDigest));

    public override int GetHashCode() => HashCode.Combine(BlobId, Size);

    public override string ToString() => $"AttachmentReference({BlobId}, {Size} bytes, {ContentType})";
}
