using System.Security.Cryptography;
using Parley.Client.Attachments;
using Parley.Content;
using Parley.Mls.Framing;
using Xunit;

namespace Parley.Client.Tests;

public sealed class AttachmentCipherTests : IDisposable
{
    private const int Chunk = AttachmentCipher.DefaultChunkSize;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "parley-attachment-tests", Guid.NewGuid().ToString("N"));

    public AttachmentCipherTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(AttachmentCipher.MinChunkSize)]
    [InlineData(Chunk)]
    [InlineData(AttachmentCipher.MaxChunkSize)]
    public void The_largest_plaintext_for_a_ciphertext_limit_is_the_exact_inverse_of_the_ciphertext_length(int chunkSize)
    {
        long block = chunkSize + AttachmentCipher.TagSize;
        long[] limits = [16, 17, block - 1, block, block + 15, block + 16, block + 17, 3 * block, (4L << 30) + 1_000_003, 2L << 30];
        foreach (long limit in limits)
        {
            long most = AttachmentCipher.MaxPlaintextLength(limit, chunkSize);
            Assert.True(AttachmentCipher.CiphertextLength(most, chunkSize) <= limit, $"{most} does not fit {limit}");
            Assert.True(AttachmentCipher.CiphertextLength(most + 1, chunkSize) > limit, $"{most + 1} fits {limit} too");
        }
        // 4 GiB of file in 64 KiB chunks is 65,536 chunks: a megabyte of tags over 4 GiB.
        Assert.Equal((4L << 30) + 65_536 * 16, AttachmentCipher.CiphertextLength(4L << 30, Chunk));
        Assert.Equal(4L << 30, AttachmentCipher.MaxPlaintextLength((4L << 30) + 65_536 * 16, Chunk));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttachmentCipher.MaxPlaintextLength(15, Chunk));
    }

    [Fact]
    public async Task A_50_MiB_file_round_trips_through_files_with_progress()
    {
        const long size = 50L * 1024 * 1024;
        string plain = Path.Combine(_directory, "big.bin");
        string cipher = Path.Combine(_directory, "big.enc");
        string back = Path.Combine(_directory, "big.out");
        byte[] expectedHash = WriteRandomFile(plain, size);

        var progress = new RecordingProgress();
        var encrypted = await AttachmentCipher.EncryptFileAsync(plain, cipher, progress: progress);
        Assert.Equal(size, encrypted.Size);
        Assert.Equal(AttachmentCipher.CiphertextLength(size, Chunk), new FileInfo(cipher).Length);
        Assert.Equal(encrypted.CiphertextLength, new FileInfo(cipher).Length);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(cipher)), encrypted.Digest);
        Assert.Equal(size / Chunk, progress.Reports.Count);
        Assert.Equal(size, progress.Reports[^1]);
        Assert.True(progress.Reports.SequenceEqual(progress.Reports.Order()));

        var reference = encrypted.ToReference("blob-1", "application/octet-stream", "big.bin");
        var back2 = new RecordingProgress();
        long length = await AttachmentCipher.DecryptFileAsync(cipher, back, reference, back2);
        Assert.Equal(size, length);
        Assert.Equal(size, back2.Reports[^1]);
        using var stream = File.OpenRead(back);
        Assert.Equal(expectedHash, await SHA256.HashDataAsync(stream));
    }

    [Fact]
    public async Task Encryption_reads_and_writes_one_chunk_at_a_time()
    {
        var input = new WatchedStream(new MemoryStream(RandomNumberGenerator.GetBytes(10 * Chunk + 5)));
        var output = new WatchedStream(new MemoryStream());
        await AttachmentCipher.EncryptAsync(input, output);
        Assert.True(input.LargestRequest <= Chunk);
        Assert.True(output.LargestRequest <= Chunk + AttachmentCipher.TagSize);
        Assert.Equal(11, output.Writes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(3 * Chunk)]
    public async Task Sizes_at_and_around_chunk_boundaries_round_trip(int size)
    {
        byte[] data = RandomNumberGenerator.GetBytes(size);
        var (cipher, encrypted) = await Encrypt(data);
        Assert.Equal(AttachmentCipher.CiphertextLength(size, Chunk), cipher.Length);
        Assert.Equal(data, await Decrypt(cipher, encrypted));
    }

    [Fact]
    public async Task A_tampered_chunk_is_detected()
    {
        var (cipher, encrypted) = await Encrypt(RandomNumberGenerator.GetBytes(4 * Chunk));
        cipher[2 * (Chunk + AttachmentCipher.TagSize) + 100] ^= 0x01;
        var error = await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(cipher, encrypted));
        Assert.Contains("Chunk 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_truncated_at_a_chunk_boundary_is_detected()
    {
        var (cipher, encrypted) = await Encrypt(RandomNumberGenerator.GetBytes(4 * Chunk + 10));
        byte[] truncated = cipher.AsSpan(0, 3 * (Chunk + AttachmentCipher.TagSize)).ToArray();
        // Even with a digest matching the truncated file, the missing final flag gives it away.
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(truncated, encrypted with { Digest = SHA256.HashData(truncated) }));
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(truncated, encrypted));
    }

    [Fact]
    public async Task A_file_truncated_inside_a_chunk_is_detected()
    {
        var (cipher, encrypted) = await Encrypt(RandomNumberGenerator.GetBytes(2 * Chunk));
        byte[] truncated = cipher.AsSpan(0, cipher.Length - 7).ToArray();
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(truncated, encrypted with { Digest = SHA256.HashData(truncated) }));
    }

    [Fact]
    public async Task Reordered_chunks_are_detected()
    {
        var (cipher, encrypted) = await Encrypt(RandomNumberGenerator.GetBytes(3 * Chunk));
        int block = Chunk + AttachmentCipher.TagSize;
        byte[] swapped = (byte[])cipher.Clone();
        cipher.AsSpan(0, block).CopyTo(swapped.AsSpan(block));
        cipher.AsSpan(block, block).CopyTo(swapped);
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(swapped, encrypted with { Digest = SHA256.HashData(swapped) }));
    }

    [Fact]
    public async Task An_appended_chunk_is_detected()
    {
        var (cipher, encrypted) = await Encrypt(RandomNumberGenerator.GetBytes(2 * Chunk));
        byte[] longer = [.. cipher, .. cipher.AsSpan(0, Chunk + AttachmentCipher.TagSize)];
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(longer, encrypted with { Digest = SHA256.HashData(longer) }));
    }

    [Fact]
    public async Task Files_are_padded_to_their_padme_length_so_sizes_in_one_bucket_look_alike_and_decrypt_exactly()
    {
        byte[] small = RandomNumberGenerator.GetBytes(100_001), large = RandomNumberGenerator.GetBytes(100_300);
        var (smallCipher, smallEncrypted) = await Encrypt(small);
        var (largeCipher, largeEncrypted) = await Encrypt(large);

        Assert.Equal(PaddingPolicy.PadmeLength(100_001), PaddingPolicy.PadmeLength(100_300));
        Assert.Equal(smallCipher.Length, largeCipher.Length);
        Assert.Equal(AttachmentCipher.CiphertextLength(PaddingPolicy.PadmeLength(100_001), Chunk, AttachmentCipher.UnpaddedScheme), smallCipher.Length);
        Assert.Equal((100_001L, 100_300L), (smallEncrypted.Size, largeEncrypted.Size));
        var reference = smallEncrypted.ToReference("b", "x", "s.bin");
        Assert.Equal(AttachmentCipher.SchemeId, reference.Scheme);
        Assert.Equal(smallCipher.Length, reference.CiphertextLength);
        var output = new MemoryStream();
        Assert.Equal(small.Length, await AttachmentCipher.DecryptAsync(new MemoryStream(smallCipher), output, reference));
        Assert.Equal(small, output.ToArray());
        Assert.Equal(SHA256.HashData(small), smallEncrypted.PlaintextDigest);
    }

    [Fact]
    public async Task An_unpadded_reference_from_before_padding_still_decrypts()
    {
        // 4096 bytes is its own Padmé length: its ciphertext is the same under both schemes.
        byte[] data = RandomNumberGenerator.GetBytes(4096);
        var (cipher, encrypted) = await Encrypt(data);
        var old = encrypted.ToReference("b", "x", "old.bin") with { Scheme = AttachmentCipher.UnpaddedScheme };

        var output = new MemoryStream();
        await AttachmentCipher.DecryptAsync(new MemoryStream(cipher), output, old);
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public async Task A_wrong_digest_size_or_key_is_detected()
    {
        byte[] data = RandomNumberGenerator.GetBytes(Chunk + 1);
        var (cipher, encrypted) = await Encrypt(data);
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(cipher, encrypted with { Digest = new byte[32] }));
        // A size that pads to another length fails on the length; one inside the same padding, on the plaintext digest
        // the reference carries (and the franked message commits to).
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(cipher, encrypted with { Size = data.Length * 2 }));
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => AttachmentCipher.DecryptAsync(new MemoryStream(cipher), new MemoryStream(),
            encrypted.ToReference("b", "x", "p.bin") with { Size = data.Length + 1 }));
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() => Decrypt(cipher, encrypted with { Key = RandomNumberGenerator.GetBytes(32) }));
    }

    [Fact]
    public async Task A_failed_file_decryption_leaves_no_partial_plaintext()
    {
        string plain = Path.Combine(_directory, "p.bin");
        string cipher = Path.Combine(_directory, "p.enc");
        string output = Path.Combine(_directory, "p.out");
        WriteRandomFile(plain, 5 * Chunk);
        var encrypted = await AttachmentCipher.EncryptFileAsync(plain, cipher);
        using (var stream = new FileStream(cipher, FileMode.Open))
        {
            stream.Position = 4 * (Chunk + AttachmentCipher.TagSize) + 3;
            stream.WriteByte(0x42);
        }
        await Assert.ThrowsAsync<AttachmentIntegrityException>(() =>
            AttachmentCipher.DecryptFileAsync(cipher, output, encrypted.ToReference("b", "x", "p.bin")));
        Assert.Equal(["p.bin", "p.enc"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_cancelled_file_encryption_leaves_no_ciphertext()
    {
        string plain = Path.Combine(_directory, "c.bin");
        string cipher = Path.Combine(_directory, "c.enc");
        WriteRandomFile(plain, 3 * Chunk);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            AttachmentCipher.EncryptFileAsync(plain, cipher, cancellationToken: new CancellationToken(canceled: true)));
        Assert.False(File.Exists(cipher));
    }

    [Fact]
    public async Task Each_file_gets_a_fresh_key()
    {
        byte[] data = new byte[100];
        var (first, a) = await Encrypt(data);
        var (second, b) = await Encrypt(data);
        Assert.NotEqual(a.Key, b.Key);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain(Convert.ToHexString(a.Key), a.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunk_sizes_outside_the_limits_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AttachmentCipher.EncryptAsync(new MemoryStream(), new MemoryStream(), 100));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AttachmentCipher.EncryptAsync(new MemoryStream(), new MemoryStream(), 8 * 1024 * 1024));
    }

    private static async Task<(byte[] Cipher, EncryptedAttachment Encrypted)> Encrypt(byte[] data)
    {
        var output = new MemoryStream();
        var encrypted = await AttachmentCipher.EncryptAsync(new MemoryStream(data), output);
        return (output.ToArray(), encrypted);
    }

    private static async Task<byte[]> Decrypt(byte[] cipher, EncryptedAttachment encrypted)
    {
        var output = new MemoryStream();
        await AttachmentCipher.DecryptAsync(new MemoryStream(cipher), output, encrypted.Key, encrypted.Digest, encrypted.ChunkSize, encrypted.Size);
        return output.ToArray();
    }

    private static byte[] WriteRandomFile(string path, long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var file = File.Create(path);
        byte[] buffer = new byte[1024 * 1024];
        for (long written = 0; written < size; written += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, size - written);
            RandomNumberGenerator.Fill(buffer.AsSpan(0, n));
            file.Write(buffer, 0, n);
            hash.AppendData(buffer, 0, n);
        }
        return hash.GetHashAndReset();
    }

    private sealed class RecordingProgress : IProgress<long>
    {
        public List<long> Reports { get; } = [];

        public void Report(long value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }
        }
    }

    /// <summary>Records the largest read or write request, to show the cipher streams.</summary>
    private sealed class WatchedStream(Stream inner) : Stream
    {
        public int LargestRequest { get; private set; }

        public int Writes { get; private set; }

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            LargestRequest = Math.Max(LargestRequest, count);
            return inner.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            LargestRequest = Math.Max(LargestRequest, buffer.Length);
            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            LargestRequest = Math.Max(LargestRequest, count);
            Writes++;
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            LargestRequest = Math.Max(LargestRequest, buffer.Length);
            Writes++;
            return inner.WriteAsync(buffer, cancellationToken);
        }
    }
}
