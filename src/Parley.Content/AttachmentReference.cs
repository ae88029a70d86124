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
/// <param name="Scheme">The encryption scheme: <see cref="AttachmentCipher.SchemeId"/> (padded) for new files,
/// <see cref="AttachmentCipher.UnpaddedScheme"/> in references from before padding.</param>
public sealed record AttachmentReference(
    string BlobId,
    long Size,
    string ContentType,
    string FileName,
    int ChunkSize,
    byte[] Key,
    byte[] Digest,
    byte[]? PlaintextDigest = null,
    byte Scheme = AttachmentCipher.UnpaddedScheme)
{
    /// <summary>Whether the fields can describe an attachment: a known scheme, a size of at least 0, a chunk size in range,
    /// a key and a digest of the right lengths, and a plaintext digest of the right length when present. Decoders
    /// (the envelope, the client's store) refuse a reference that is not.</summary>
    public bool IsWellFormed
        => AttachmentCipher.IsKnownScheme(Scheme) && Size >= 0 && PaddingFits && SizeBound
           && ChunkSize is >= AttachmentCipher.MinChunkSize and <= AttachmentCipher.MaxChunkSize
           && Key is { Length: AttachmentCipher.KeySize } && Digest is { Length: AttachmentCipher.DigestSize }
           && PlaintextDigest is null or { Length: AttachmentCipher.DigestSize };

    /// <summary>The ciphertext length for this plaintext size, chunk size and scheme.</summary>
    public long CiphertextLength => AttachmentCipher.CiphertextLength(Size, ChunkSize, Scheme);

    // A size whose padded length would not fit a long is refused rather than overflowing later.
    private bool PaddingFits => Scheme == AttachmentCipher.UnpaddedScheme || Size <= long.MaxValue / 2;

    // In a padded file the bytes past the size are zeros like the padding: only the plaintext digest tells a size
    // moved into the padding, so a padded reference always has one.
    private bool SizeBound => Scheme == AttachmentCipher.UnpaddedScheme || PlaintextDigest is not null;

    public bool Equals(AttachmentReference? other)
        => other is not null && BlobId == other.BlobId && Size == other.Size && ContentType == other.ContentType
           && FileName == other.FileName && ChunkSize == other.ChunkSize && Scheme == other.Scheme
           && Key.AsSpan().SequenceEqual(other.Key) && Digest.AsSpan().SequenceEqual(other.Digest)
           && (PlaintextDigest is null ? other.PlaintextDigest is null
               : other.PlaintextDigest is not null && PlaintextDigest.AsSpan().SequenceEqual(other.PlaintextDigest));

    public override int GetHashCode() => HashCode.Combine(BlobId, Size);

    public override string ToString() => $"AttachmentReference({BlobId}, {Size} bytes, {ContentType})";
}
