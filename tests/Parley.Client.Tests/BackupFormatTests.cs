using System.Buffers.Binary;
using System.Security.Cryptography;
using Parley.Client.Backup;
using Parley.Client.Storage;
using Xunit;

namespace Parley.Client.Tests;

public sealed class BackupFormatTests
{
    private const int Chunk = 1024;

    private static byte[] Plaintext(int length)
    {
        byte[] bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Seal(byte[] plaintext, BackupSecret secret, int chunkSize = Chunk)
    {
        using var output = new MemoryStream();
        using (var writer = BackupWriter.Create(output, secret, chunkSize))
        {
            // Uneven writes: chunk boundaries must not depend on how the caller splits its data.
            for (int offset = 0; offset < plaintext.Length; offset += 700)
            {
                writer.Write(plaintext.AsSpan(offset, Math.Min(700, plaintext.Length - offset)));
            }
            writer.Complete();
        }
        return output.ToArray();
    }

    private static byte[] Open(byte[] file, BackupSecret secret)
    {
        using var input = new MemoryStream(file);
        using var reader = BackupReader.Open(input, secret);
        using var plain = new MemoryStream();
        reader.CopyTo(plain);
        return plain.ToArray();
    }

    private static BackupFormatException OpenFails(byte[] file, BackupSecret secret)
        => Assert.Throws<BackupFormatException>(() => Open(file, secret));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(3 * Chunk)]
    [InlineData(5 * Chunk + 17)]
    public void A_backup_opens_to_what_was_written(int length)
    {
        using var key = BackupKey.Generate();
        byte[] plaintext = Plaintext(length);
        byte[] file = Seal(plaintext, BackupSecret.FromKey(key));
        Assert.Equal(plaintext, Open(file, BackupSecret.FromKey(key)));
        // The header, then the chunks (at least one: an empty backup has one empty last chunk), each with a 16-byte tag.
        Assert.Equal(BackupHeader.Size + length + 16 * Math.Max(1, (length + Chunk - 1) / Chunk), file.Length);
    }

    [Fact]
    public void A_passphrase_backup_opens_with_its_passphrase_only()
    {
        byte[] plaintext = Plaintext(3000);
        byte[] file = Seal(plaintext, BackupSecret.FromPassphrase("correct horse", StoreKeyDerivation.Minimal));
        Assert.Equal(plaintext, Open(file, BackupSecret.FromPassphrase("correct horse")));
        Assert.Equal(BackupProblem.WrongKey, OpenFails(file, BackupSecret.FromPassphrase("wrong horse")).Problem);
        using var key = BackupKey.Generate();
        Assert.Equal(BackupProblem.WrongKeyKind, OpenFails(file, BackupSecret.FromKey(key)).Problem);
    }

    [Fact]
    public void A_wrong_key_is_told_apart_from_a_damaged_file()
    {
        using var key = BackupKey.Generate();
        using var other = BackupKey.Generate();
        byte[] file = Seal(Plaintext(2 * Chunk), BackupSecret.FromKey(key));
        Assert.Equal(BackupProblem.WrongKey, OpenFails(file, BackupSecret.FromKey(other)).Problem);
        file[BackupHeader.Size + 10] ^= 1;
        Assert.Equal(BackupProblem.Damaged, OpenFails(file, BackupSecret.FromKey(key)).Problem);
    }

    [Fact]
    public void Every_changed_byte_of_the_file_is_detected()
    {
        using var key = BackupKey.Generate();
        byte[] file = Seal(Plaintext(2 * Chunk + 5), BackupSecret.FromKey(key));
        for (int i = 0; i < file.Length; i += 37)
        {
            byte[] changed = (byte[])file.Clone();
            changed[i] ^= 0x40;
            Assert.Throws<BackupFormatException>(() => Open(changed, BackupSecret.FromKey(key)));
        }
    }

    [Fact]
    public void A_file_cut_short_anywhere_is_detected()
    {
        using var key = BackupKey.Generate();
        byte[] file = Seal(Plaintext(3 * Chunk), BackupSecret.FromKey(key));
        int sealedChunk = Chunk + 16;
        // At chunk boundaries (a whole number of chunks left) and inside chunks.
        int[] lengths = [0, 7, BackupHeader.Size, BackupHeader.Size + sealedChunk, BackupHeader.Size + 2 * sealedChunk,
            BackupHeader.Size + 100, file.Length - 1];
        foreach (int length in lengths)
        {
            Assert.Throws<BackupFormatException>(() => Open(file[..length], BackupSecret.FromKey(key)));
        }
    }

    [Fact]
    public void Reordered_or_repeated_chunks_are_detected()
    {
        using var key = BackupKey.Generate();
        byte[] file = Seal(Plaintext(3 * Chunk + 9), BackupSecret.FromKey(key));
        int sealedChunk = Chunk + 16;
        byte[] header = file[..BackupHeader.Size];
        byte[] Part(int i) => file.AsSpan(BackupHeader.Size + i * sealedChunk, Math.Min(sealedChunk, file.Length - BackupHeader.Size - i * sealedChunk)).ToArray();
        byte[] swapped = [.. header, .. Part(1), .. Part(0), .. Part(2), .. Part(3)];
        byte[] repeated = [.. header, .. Part(0), .. Part(0), .. Part(1), .. Part(2), .. Part(3)];
        byte[] dropped = [.. header, .. Part(0), .. Part(2), .. Part(3)];
        byte[] extended = [.. file, .. Part(0)];
        foreach (byte[] bad in new[] { swapped, repeated, dropped, extended })
        {
            Assert.Equal(BackupProblem.Damaged, OpenFails(bad, BackupSecret.FromKey(key)).Problem);
        }
    }

    [Fact]
    public void Chunks_of_another_backup_with_the_same_key_do_not_open()
    {
        using var key = BackupKey.Generate();
        byte[] first = Seal(Plaintext(2 * Chunk), BackupSecret.FromKey(key));
        byte[] second = Seal(Plaintext(2 * Chunk), BackupSecret.FromKey(key));
        byte[] spliced = [.. first[..BackupHeader.Size], .. second[BackupHeader.Size..]];
        Assert.Equal(BackupProblem.Damaged, OpenFails(spliced, BackupSecret.FromKey(key)).Problem);
    }

    [Fact]
    public void Another_format_version_is_refused_by_its_number()
    {
        using var key = BackupKey.Generate();
        byte[] file = Seal(Plaintext(10), BackupSecret.FromKey(key));
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(8), 2);
        var e = OpenFails(file, BackupSecret.FromKey(key));
        Assert.Equal(BackupProblem.UnsupportedVersion, e.Problem);
        Assert.Contains("version 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_file_is_not_a_backup()
    {
        using var key = BackupKey.Generate();
        Assert.Equal(BackupProblem.NotABackup, OpenFails("SQLite format 3\0 and more"u8.ToArray(), BackupSecret.FromKey(key)).Problem);
        Assert.Equal(BackupProblem.NotABackup, OpenFails([], BackupSecret.FromKey(key)).Problem);
    }

    [Theory]
    [InlineData(14, 0)] // chunk size 0
    [InlineData(12, 0x7f)] // chunk size above 1 MiB
    [InlineData(10, 9)] // unknown key kind
    [InlineData(11, 1)] // reserved octet
    [InlineData(16, 1)] // Argon2id memory on a backup key
    public void Header_fields_out_of_bounds_are_refused_before_use(int offset, byte value)
    {
        using var key = BackupKey.Generate();
        byte[] file = Seal(Plaintext(10), BackupSecret.FromKey(key));
        file[offset] = value;
        Assert.Equal(BackupProblem.Damaged, OpenFails(file, BackupSecret.FromKey(key)).Problem);
    }

    [Fact]
    public void A_backup_key_reads_back_from_its_grouped_text_in_any_case()
    {
        using var key = BackupKey.Generate();
        string text = key.ToDisplayString();
        Assert.Matches("^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$", text);
        using var parsed = BackupKey.Parse(text.ToLowerInvariant().Replace('-', ' '));
        Assert.True(parsed.Bytes.SequenceEqual(key.Bytes));
        Assert.DoesNotContain(Convert.ToHexString(key.Bytes), key.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCD")]
    [InlineData("UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU-UUUU")]
    [InlineData("0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-000Z")] // non-zero padding bits
    [InlineData("0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0")]
    public void A_mistyped_backup_key_is_refused(string text)
        => Assert.Throws<FormatException>(() => BackupKey.Parse(text));

    [Fact]
    public void The_key_check_is_not_the_chunk_key()
    {
        // The header is public: what it carries must not decrypt anything.
        using var key = BackupKey.Generate();
        byte[] file = Seal(Plaintext(10), BackupSecret.FromKey(key));
        var header = BackupHeader.Decode(file);
        Assert.False(header.KeyCheck.AsSpan().SequenceEqual(key.Bytes));
        Assert.Equal(32, header.KeyCheck.Length);
        Assert.False(CryptographicOperations.FixedTimeEquals(header.KeyCheck, new byte[32]));
    }
}
