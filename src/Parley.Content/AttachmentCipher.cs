// Chunked attachment encryption, scheme 1 (docs/client-envelope.md, "Attachment encryption").
//
//   key        32 random bytes, fresh per file
//   chunk i    AES-256-GCM(key, nonce = 0x00000000 || uint64_be(i),
//                          aad = "parley attachment v1" || uint32_be(chunk_size) || uint8(final),
//                          plaintext[i * chunk_size .. (i + 1) * chunk_size])  -> ciphertext || 16-byte tag
//   file       chunk 0 || chunk 1 || ... || chunk n-1; every chunk but the last holds chunk_size bytes of
//              plaintext, the last 0..chunk_size (an empty file is one empty final chunk)
//   digest     SHA-256 of the whole file
//   plaintext digest   SHA-256 of the plaintext, committed to inside the franked message (abuse reports)
//
// Scheme 2 is scheme 1 over the plaintext followed by zero bytes up to its Padmé length (docs/privacy.md,
// "Padding"): the server sees the padded size, the reference carries the real one, and a decryptor writes only
// the real bytes and checks that the rest are zeros. Scheme 1 (no padding) is still read.
//
// The index in the nonce detects reordered or dropped chunks; the final flag detects truncation at a
// chunk boundary and appended chunks; the digest names the exact ciphertext the server holds.
using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Parley.Mls.Framing;

namespace Parley.Content;

/// <summary>Encrypts and decrypts attachments as streams of fixed-size AES-256-GCM chunks, never holding
/// the whole file in memory.</summary>
public static class AttachmentCipher
{
    /// <summary>The scheme of unpadded attachments (still read).</summary>
    public const byte UnpaddedScheme = 1;

    /// <summary>The scheme new attachments use: padded to their Padmé length.</summary>
    public const byte SchemeId = 2;

    /// <summary>Whether <paramref name="scheme"/> is one this code reads.</summary>
    public static bool IsKnownScheme(byte scheme) => scheme is UnpaddedScheme or SchemeId;

    /// <summary>The bytes encrypted for a file of <paramref name="size"/> bytes under <paramref name="scheme"/>: the size
    /// itself, or its Padmé length.</summary>
    public static long PaddedLength(long size, byte scheme = SchemeId)
        => scheme == UnpaddedScheme ? size : PaddingPolicy.PadmeLength(size);

    /// <summary>64 KiB of plaintext per chunk.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>The smallest chunk size a reference may name (1 KiB).</summary>
    public const int MinChunkSize = 1024;

    /// <summary>The largest chunk size a reference may name (4 MiB): bounds a decryptor's memory.</summary>
    public const int MaxChunkSize = 4 * 1024 * 1024;

    /// <summary>Bytes of an attachment key (AES-256).</summary>
    public const int KeySize = 32;

    /// <summary>Bytes of an attachment digest (SHA-256).</summary>
    public const int DigestSize = 32;

    /// <summary>Bytes each chunk adds to its plaintext (the GCM tag).</summary>
    public const int TagSize = 16;

    private const int NonceSize = 12;
    private static readonly byte[] AadPrefix = "parley attachment v1"u8.ToArray();

    /// <summary>The ciphertext length of a plaintext of <paramref name="size"/> bytes (padded as
    /// <paramref name="scheme"/> says).</summary>
    public static long CiphertextLength(long size, int chunkSize, byte scheme = SchemeId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        CheckChunkSize(chunkSize);
        long padded = PaddedLength(size, scheme);
        long chunks = padded == 0 ? 1 : (padded + chunkSize - 1) / chunkSize;
        return checked(padded + chunks * TagSize);
    }

    /// <summary>The largest plaintext whose ciphertext in chunks of <paramref name="chunkSize"/> has at most
    /// <paramref name="ciphertextLength"/> bytes (at least <see cref="TagSize"/>: an empty file's one tag): the inverse of
    /// <see cref="CiphertextLength"/>.</summary>
    public static long MaxPlaintextLength(long ciphertextLength, int chunkSize, byte scheme = SchemeId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ciphertextLength, TagSize);
        CheckChunkSize(chunkSize);
        long block = chunkSize + (long)TagSize;
        long full = ciphertextLength / block, rest = ciphertextLength % block;
        // Bytes after the last whole chunk carry a shorter final chunk once its tag fits.
        long most = full * chunkSize + Math.Max(0, rest - TagSize);
        if (scheme == UnpaddedScheme || PaddingPolicy.PadmeLength(most) == most)
        {
            return most;
        }
        // The largest Padmé length below: same leading bit, the low bits Padmé leaves clear cleared.
        int exponent = 63 - (int)long.LeadingZeroCount(most);
        int lowBits = exponent - (32 - int.LeadingZeroCount(exponent));
        return most & ~((1L << lowBits) - 1);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> under a fresh key,
    /// reporting plaintext bytes done to <paramref name="progress"/>.</summary>
    public static async Task<EncryptedAttachment> EncryptAsync(Stream plaintext, Stream ciphertext, int chunkSize = DefaultChunkSize,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(ciphertext);
        CheckChunkSize(chunkSize);
        using var padded = new PaddedInput(plaintext);
        var sealedAttachment = await SealAsync(padded, ciphertext, chunkSize, progress is null ? null : padded.ProgressOf(progress),
            cancellationToken).ConfigureAwait(false);
        return sealedAttachment with { Size = padded.RealLength, PlaintextDigest = padded.Digest() };
    }

    // Scheme 1 over whatever the input yields (for scheme 2, the plaintext and its padding); the result's Size and
    // PlaintextDigest are of those bytes.
    private static async Task<EncryptedAttachment> SealAsync(Stream plaintext, Stream ciphertext, int chunkSize,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        byte[] key = RandomNumberGenerator.GetBytes(KeySize);
        byte[] current = ArrayPool<byte>.Shared.Rent(chunkSize);
        byte[] next = ArrayPool<byte>.Shared.Rent(chunkSize);
        byte[] output = ArrayPool<byte>.Shared.Rent(chunkSize + TagSize);
        try
        {
            using var aes = new AesGcm(key, TagSize);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var plainHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long done = 0, written = 0;
            ulong index = 0;
            int length = await ReadFullAsync(plaintext, current.AsMemory(0, chunkSize), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                // A chunk is final when the input ends in it or right after it: read one chunk ahead.
                int nextLength = 0;
                bool final = length < chunkSize
                    || (nextLength = await ReadFullAsync(plaintext, next.AsMemory(0, chunkSize), cancellationToken).ConfigureAwait(false)) == 0;
                plainHash.AppendData(current, 0, length);
                int outLength = SealChunk(aes, index, chunkSize, final, current.AsSpan(0, length), output);
                hash.AppendData(output, 0, outLength);
                await ciphertext.WriteAsync(output.AsMemory(0, outLength), cancellationToken).ConfigureAwait(false);
                done += length;
                written += outLength;
                progress?.Report(done);
                if (final)
                {
                    break;
                }
                (current, next) = (next, current);
                length = nextLength;
                index++;
            }
            await ciphertext.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new EncryptedAttachment(key, hash.GetHashAndReset(), done, written, chunkSize, plainHash.GetHashAndReset());
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current, clearArray: true);
            ArrayPool<byte>.Shared.Return(next, clearArray: true);
            ArrayPool<byte>.Shared.Return(output, clearArray: true);
        }
    }

    /// <summary>Decrypts an attachment described by <paramref name="reference"/>, checking every chunk, the
    /// digest, the size and (when the reference has one) the plaintext digest. Throws
    /// <see cref="AttachmentIntegrityException"/> on any mismatch; by then part of the plaintext may have been
    /// written, so discard <paramref name="plaintext"/> when it throws.</summary>
    public static Task<long> DecryptAsync(Stream ciphertext, Stream plaintext, AttachmentReference reference,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return DecryptCoreAsync(ciphertext, plaintext, reference.Key, reference.Digest, reference.ChunkSize, reference.Size, reference.PlaintextDigest,
            reference.Scheme, progress, cancellationToken);
    }

    /// <summary>Decrypts with an explicit key, digest, chunk size and scheme; <paramref name="expectedSize"/>, when
    /// given, must match the plaintext length (a padded scheme needs it: it is where the padding starts). Returns the
    /// plaintext length.</summary>
    public static Task<long> DecryptAsync(Stream ciphertext, Stream plaintext, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> digest,
        int chunkSize, long? expectedSize = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default,
        byte scheme = SchemeId)
        => DecryptCoreAsync(ciphertext, plaintext, key, digest, chunkSize, expectedSize, null, scheme, progress, cancellationToken);

    private static async Task<long> DecryptCoreAsync(Stream ciphertext, Stream plaintext, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> digest,
        int chunkSize, long? expectedSize, byte[]? plaintextDigest, byte scheme, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(plaintext);
        CheckChunkSize(chunkSize);
        if (!IsKnownScheme(scheme))
        {
            throw new ArgumentException($"Attachment encryption scheme {scheme} is unknown.", nameof(scheme));
        }
        if (scheme != UnpaddedScheme && expectedSize is null)
        {
            throw new ArgumentException("A padded attachment is decrypted with its size: the padding starts there.", nameof(expectedSize));
        }
        // Bytes past the real size are padding: checked to be zeros, never written.
        long keep = scheme == UnpaddedScheme ? long.MaxValue : expectedSize!.Value;
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"An attachment key is {KeySize} bytes.", nameof(key));
        }
        if (digest.Length != DigestSize)
        {
            throw new ArgumentException($"An attachment digest is {DigestSize} bytes.", nameof(digest));
        }
        if (plaintextDigest is { Length: not DigestSize })
        {
            throw new ArgumentException($"A plaintext digest is {DigestSize} bytes.", nameof(plaintextDigest));
        }
        int block = chunkSize + TagSize;
        byte[] current = ArrayPool<byte>.Shared.Rent(block);
        byte[] next = ArrayPool<byte>.Shared.Rent(block);
        byte[] output = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            using var aes = new AesGcm(key.Span, TagSize);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var plainHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long done = 0;
            ulong index = 0;
            int length = await ReadFullAsync(ciphertext, current.AsMemory(0, block), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                int nextLength = 0;
                bool final = length < block
                    || (nextLength = await ReadFullAsync(ciphertext, next.AsMemory(0, block), cancellationToken).ConfigureAwait(false)) == 0;
                if (length < TagSize)
                {
                    throw new AttachmentIntegrityException($"The attachment is truncated at chunk {index}.");
                }
                hash.AppendData(current, 0, length);
                int plainLength = length - TagSize;
                if (!OpenChunk(aes, index, chunkSize, final, current.AsSpan(0, length), output.AsSpan(0, plainLength)))
                {
                    throw new AttachmentIntegrityException(
                        $"Chunk {index} of the attachment failed authentication: it was altered, reordered or the file was truncated.");
                }
                int real = (int)Math.Clamp(keep - done, 0, plainLength);
                if (output.AsSpan(real, plainLength - real).ContainsAnyExcept((byte)0))
                {
                    throw new AttachmentIntegrityException("The attachment's padding is not zeros.");
                }
                plainHash.AppendData(output, 0, real);
                await plaintext.WriteAsync(output.AsMemory(0, real), cancellationToken).ConfigureAwait(false);
                done += plainLength;
                progress?.Report(Math.Min(done, keep));
                if (final)
                {
                    break;
                }
                (current, next) = (next, current);
                length = nextLength;
                index++;
            }
            if (!CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), digest.Span))
            {
                throw new AttachmentIntegrityException("The attachment's digest does not match: it is not the file the sender uploaded.");
            }
            if (expectedSize is { } size && PaddedLength(size, scheme) != done)
            {
                throw new AttachmentIntegrityException(scheme == UnpaddedScheme
                    ? $"The attachment holds {done} bytes, not the {size} the sender announced."
                    : $"The attachment holds {done} bytes, not the {PaddedLength(size, scheme)} that the {size} the sender announced pad to.");
            }
            if (plaintextDigest is not null && !CryptographicOperations.FixedTimeEquals(plainHash.GetHashAndReset(), plaintextDigest))
            {
                throw new AttachmentIntegrityException("The attachment's plaintext digest does not match: its key opens a different file than the sender committed to.");
            }
            await plaintext.FlushAsync(cancellationToken).ConfigureAwait(false);
            return Math.Min(done, keep);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current, clearArray: true);
            ArrayPool<byte>.Shared.Return(next, clearArray: true);
            ArrayPool<byte>.Shared.Return(output, clearArray: true);
        }
    }

    /// <summary>Encrypts the file at <paramref name="plaintextPath"/> into <paramref name="ciphertextPath"/>.</summary>
    public static async Task<EncryptedAttachment> EncryptFileAsync(string plaintextPath, string ciphertextPath, int chunkSize = DefaultChunkSize,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var input = new FileStream(plaintextPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var output = new FileStream(ciphertextPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        try
        {
            await using (output)
            {
                return await EncryptAsync(input, output, chunkSize, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            // Leave no half-written ciphertext behind.
            File.Delete(ciphertextPath);
            throw;
        }
    }

    /// <summary>Decrypts into <paramref name="plaintextPath"/> through a temporary file that is renamed only once
    /// everything checked out, so a failed or tampered download leaves no partial plaintext behind.</summary>
    public static async Task<long> DecryptFileAsync(string ciphertextPath, string plaintextPath, AttachmentReference reference,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        string temporary = plaintextPath + ".partial-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        try
        {
            long length;
            await using (var input = new FileStream(ciphertextPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
            await using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                length = await DecryptAsync(input, output, reference, progress, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temporary, plaintextPath, overwrite: false);
            return length;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static int SealChunk(AesGcm aes, ulong index, int chunkSize, bool final, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        Span<byte> aad = stackalloc byte[AadPrefix.Length + 5];
        WriteNonceAndAad(index, chunkSize, final, nonce, aad);
        aes.Encrypt(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, TagSize), aad);
        return plaintext.Length + TagSize;
    }

    private static bool OpenChunk(AesGcm aes, ulong index, int chunkSize, bool final, ReadOnlySpan<byte> chunk, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        Span<byte> aad = stackalloc byte[AadPrefix.Length + 5];
        WriteNonceAndAad(index, chunkSize, final, nonce, aad);
        try
        {
            aes.Decrypt(nonce, chunk[..^TagSize], chunk[^TagSize..], plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    private static void WriteNonceAndAad(ulong index, int chunkSize, bool final, Span<byte> nonce, Span<byte> aad)
    {
        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], index);
        AadPrefix.CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad[AadPrefix.Length..], (uint)chunkSize);
        aad[^1] = final ? (byte)1 : (byte)0;
    }

    private static async ValueTask<int> ReadFullAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }

    private static void CheckChunkSize(int chunkSize)
    {
        if (chunkSize is < MinChunkSize or > MaxChunkSize)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, $"A chunk holds {MinChunkSize} to {MaxChunkSize} bytes.");
        }
    }
}

/// <summary>A plaintext stream followed by zero bytes up to its Padmé length; it counts and hashes the real bytes.</summary>
internal sealed class PaddedInput(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _zeros = -1;

    private long _length;

    /// <summary>The real bytes read so far (all of them, once the padding has begun).</summary>
    public long RealLength => _length;

    /// <summary>SHA-256 of the real bytes (call once, at the end).</summary>
    public byte[] Digest() => _hash.GetHashAndReset();

    /// <summary>Reports the real bytes read so far, however far the encryption is into the padding.</summary>
    public IProgress<long> ProgressOf(IProgress<long> progress) => new RealBytes(this, progress);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_zeros < 0)
        {
            int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0 || buffer.Length == 0)
            {
                _hash.AppendData(buffer.Span[..read]);
                _length += read;
                return read;
            }
            _zeros = PaddingPolicy.PadmeLength(_length) - _length;
        }
        int count = (int)Math.Min(buffer.Length, _zeros);
        buffer.Span[..count].Clear();
        _zeros -= count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }

    private sealed class RealBytes(PaddedInput input, IProgress<long> progress) : IProgress<long>
    {
        public void Report(long value) => progress.Report(Math.Min(value, input.RealLength));
    }
}

/// <summary>The result of encrypting an attachment: its fresh key (secret; never printed), the ciphertext
/// digest, the sizes and the plaintext digest.</summary>
public sealed record EncryptedAttachment(byte[] Key, byte[] Digest, long Size, long CiphertextLength, int ChunkSize, byte[] PlaintextDigest)
{
    /// <summary>The reference to send once the ciphertext is uploaded as <paramref name="blobId"/>.</summary>
    public AttachmentReference ToReference(string blobId, string contentType, string fileName)
        => new(blobId, Size, contentType, fileName, ChunkSize, (byte[])Key.Clone(), (byte[])Digest.Clone(), (byte[])PlaintextDigest.Clone(),
            AttachmentCipher.SchemeId);

    public override string ToString() => $"EncryptedAttachment({Size} bytes in {CiphertextLength}, digest {Convert.ToHexString(Digest)})";
}

/// <summary>An attachment did not decrypt: a chunk was altered, reordered or cut off, or the digest or size differ.</summary>
public sealed class AttachmentIntegrityException : Exception
{
    public AttachmentIntegrityException(string message) : base(message) { }
}
