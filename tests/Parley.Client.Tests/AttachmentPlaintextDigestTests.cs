using System.Security.Cryptography;
using Parley.Content;
using Parley.Mls.Codec;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>The plaintext digest an attachment reference commits to (so a reported file can be checked).</summary>
public sealed class AttachmentPlaintextDigestTests
{
    private static readonly DateTimeOffset SentAt = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static async Task<(EncryptedAttachment Encrypted, byte[] Plaintext, byte[] Ciphertext)> EncryptAsync(int size)
    {
        byte[] plaintext = RandomNumberGenerator.GetBytes(size);
        using var output = new MemoryStream();
        var encrypted = await AttachmentCipher.EncryptAsync(new MemoryStream(plaintext), output, AttachmentCipher.MinChunkSize);
        return (encrypted, plaintext, output.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(5 * 1024 + 7)]
    public async Task Encryption_computes_the_sha256_of_the_plaintext(int size)
    {
        var (encrypted, plaintext, _) = await EncryptAsync(size);
        Assert.Equal(SHA256.HashData(plaintext), encrypted.PlaintextDigest);
        Assert.Equal(encrypted.PlaintextDigest, encrypted.ToReference("b", "application/octet-stream", "f").PlaintextDigest);
    }

    [Fact]
    public async Task A_key_that_opens_a_different_file_than_committed_to_is_rejected()
    {
        var (encrypted, _, ciphertext) = await EncryptAsync(4000);
        var reference = encrypted.ToReference("b", "application/octet-stream", "f");
        var wrong = reference with { PlaintextDigest = SHA256.HashData("another file"u8) };

        var error = await Assert.ThrowsAsync<AttachmentIntegrityException>(
            () => AttachmentCipher.DecryptAsync(new MemoryStream(ciphertext), new MemoryStream(), wrong));
        Assert.Contains("plaintext digest", error.Message);
        Assert.Equal(4000, await AttachmentCipher.DecryptAsync(new MemoryStream(ciphertext), new MemoryStream(), reference));
    }

    [Fact]
    public async Task A_reference_without_a_plaintext_digest_still_decrypts()
    {
        var (encrypted, plaintext, ciphertext) = await EncryptAsync(3000);
        var old = encrypted.ToReference("b", "application/octet-stream", "f") with { PlaintextDigest = null };
        using var output = new MemoryStream();
        await AttachmentCipher.DecryptAsync(new MemoryStream(ciphertext), output, old);
        Assert.Equal(plaintext, output.ToArray());
    }

    [Fact]
    public void The_plaintext_digest_round_trips_in_the_envelope_and_its_absence_decodes_as_null()
    {
        var reference = new AttachmentReference("blob", 10, "text/plain", "a.txt", 65536, new byte[32], new byte[32], Enumerable.Repeat((byte)7, 32).ToArray());
        var decoded = (AttachmentContent)ContentEnvelope.Decode(new ContentEnvelope("m1", SentAt, new AttachmentContent(reference, "cap")).Encode()).Content;
        Assert.Equal(reference, decoded.Attachment);
        Assert.Equal("cap", decoded.Caption);

        var old = reference with { PlaintextDigest = null };
        var decodedOld = (AttachmentContent)ContentEnvelope.Decode(new ContentEnvelope("m1", SentAt, new AttachmentContent(old)).Encode()).Content;
        Assert.Null(decodedOld.Attachment.PlaintextDigest);
    }

    [Fact]
    public void The_plaintext_digest_is_appended_after_the_caption()
    {
        var reference = new AttachmentReference("b", 1, "t", "f", 65536, new byte[32], new byte[32]);
        byte[] without = new ContentEnvelope("m1", SentAt, new AttachmentContent(reference, "c")).Encode();
        byte[] with = new ContentEnvelope("m1", SentAt, new AttachmentContent(reference with { PlaintextDigest = new byte[32] }, "c")).Encode();
        // The content struct gains opaque plaintext_digest<V> (0x20 and 32 bytes) at its end, nothing else changes.
        Assert.Equal([.. Content(without), 0x20, .. new byte[32]], Content(with));
    }

    [Fact]
    public void A_plaintext_digest_of_the_wrong_length_makes_the_attachment_unsupported()
    {
        var reference = new AttachmentReference("b", 1, "t", "f", 65536, new byte[32], new byte[32], new byte[31]);
        var decoded = ContentEnvelope.Decode(new ContentEnvelope("m1", SentAt, new AttachmentContent(reference)).Encode());
        Assert.IsType<UnsupportedContent>(decoded.Content);
    }

    private static byte[] Content(byte[] envelope)
    {
        var r = new TlsReader(envelope);
        r.ReadUInt16();
        r.ReadUInt16();
        r.ReadOpaque();
        r.ReadUInt64();
        return r.ReadOpaque();
    }
}
