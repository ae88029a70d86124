using System.Text;
using NSec.Cryptography;
using Parley.Content;
using Parley.Mls.Codec;
using Xunit;

namespace Parley.Client.Tests;

public sealed class PublicPostTests
{
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;
    private static readonly DateTimeOffset SentAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);

    [Fact]
    public void A_signed_post_round_trips_and_verifies_against_the_authors_identity_key()
    {
        using AuthorKeys author = Author("alice");
        var (identity, device, certificate) = author;
        PublicPost post = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "Hello, world", "alice", certificate, device);

        PublicPost decoded = PublicPost.Decode(post.Encode());

        Assert.Equal(post, decoded);
        Assert.Equal(("news", "p1", PublicPostOperation.Post, SentAt, "Hello, world", "alice"),
            (decoded.Channel, decoded.PostId, decoded.Operation, decoded.SentAt, decoded.Text, decoded.Author));
        Assert.Equal(device.PublicKey.Export(KeyBlobFormat.RawPublicKey), decoded.DeviceSignatureKey);
        Assert.True(decoded.Verify(identity.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
    }

    [Fact]
    public void The_signature_covers_the_label_and_every_field_before_it()
    {
        using AuthorKeys author = Author("alice");
        var (_, device, certificate) = author;
        PublicPost post = PublicPost.Sign("news", "p1", PublicPostOperation.Edit, SentAt, "text", "alice", certificate, device);
        byte[] encoded = post.Encode();
        byte[] label = Encoding.ASCII.GetBytes("Parley public post v1\0");

        byte[] input = post.SigningInput();

        Assert.Equal(label, input[..label.Length]);
        // The fields are the encoding without its last vector (the signature: a 2-byte varint length 64, then 64 bytes).
        Assert.Equal(encoded[..^66], input[label.Length..]);
        Assert.True(Ed25519.Verify(PublicKey.Import(Ed25519, post.DeviceSignatureKey, KeyBlobFormat.RawPublicKey), input, post.Signature));
    }

    [Fact]
    public void Changing_any_signed_field_breaks_the_signature()
    {
        using AuthorKeys author = Author("alice");
        var (identity, device, certificate) = author;
        byte[] identityKey = identity.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PublicPost post = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "alice", certificate, device);

        Assert.False((post with { Text = "other" }).Verify(identityKey));
        Assert.False((post with { Channel = "other" }).Verify(identityKey));
        Assert.False((post with { PostId = "p2" }).Verify(identityKey));
        Assert.False((post with { Operation = PublicPostOperation.Delete }).Verify(identityKey));
        Assert.False((post with { SentAt = SentAt.AddMilliseconds(1) }).Verify(identityKey));
    }

    [Fact]
    public void A_certificate_by_another_identity_key_or_for_another_author_fails()
    {
        using AuthorKeys author = Author("alice");
        var (identity, device, certificate) = author;
        using Key stranger = Key.Create(Ed25519);
        PublicPost post = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "alice", certificate, device);
        PublicPost claimsBob = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "bob", certificate, device);

        Assert.True(post.VerifySignature());
        Assert.False(post.Verify(stranger.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        Assert.True(claimsBob.VerifySignature());
        Assert.False(claimsBob.Verify(identity.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        Assert.False(post.Verify(new byte[5]));
    }

    [Fact]
    public void Signing_with_the_seed_or_the_key_gives_the_same_post()
    {
        byte[] seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        using Key key = Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey);

        PublicPost withKey = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "alice", [1, 2], key);
        PublicPost withSeed = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "alice", [1, 2], seed);

        Assert.Equal(withKey, withSeed);
    }

    [Fact]
    public void The_device_certificate_statement_is_the_labelled_username_suite_and_key()
    {
        byte[] key = [7, 7, 7];

        byte[] statement = DeviceCertificateStatement.Create("alice", 1, key);

        Assert.Equal([.. Encoding.ASCII.GetBytes("Parley device v1"), 0, 5, .. Encoding.ASCII.GetBytes("alice"), 0, 1, 3, 7, 7, 7], statement);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(1, 0)]
    [InlineData(1, 4)]
    public void An_unknown_version_or_operation_is_malformed(byte version, byte operation)
    {
        using AuthorKeys author = Author("alice");
        var (_, device, certificate) = author;
        byte[] encoded = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "alice", certificate, device).Encode();
        encoded[0] = version;
        encoded[1 + 1 + 4 + 1 + 2] = operation; // version, "news" (1 + 4), "p1" (1 + 2), then the operation

        Assert.Throws<PublicPostFormatException>(() => PublicPost.Decode(encoded));
        Assert.False(PublicPost.TryDecode(encoded, out _));
    }

    [Fact]
    public void Trailing_bytes_an_invalid_post_id_or_a_cut_post_are_malformed()
    {
        using AuthorKeys author = Author("alice");
        var (_, device, certificate) = author;
        byte[] encoded = PublicPost.Sign("news", "p1", PublicPostOperation.Post, SentAt, "text", "alice", certificate, device).Encode();
        var badId = new TlsWriter();
        badId.WriteUInt8(1);
        badId.WriteString("news");
        badId.WriteString("no spaces allowed");

        Assert.Throws<PublicPostFormatException>(() => PublicPost.Decode(encoded.Append((byte)0).ToArray()));
        Assert.Throws<PublicPostFormatException>(() => PublicPost.Decode(encoded[..^3]));
        Assert.Throws<PublicPostFormatException>(() => PublicPost.Decode(badId.ToArray()));
    }

    /// <summary>An account identity key, a device key, and the identity key's certificate over the device key.</summary>
    private static AuthorKeys Author(string username)
    {
        Key identity = Key.Create(Ed25519);
        Key device = Key.Create(Ed25519);
        byte[] certificate = Ed25519.Sign(identity,
            DeviceCertificateStatement.Create(username, PublicPost.CipherSuite, device.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
        return new AuthorKeys(identity, device, certificate);
    }

    private sealed record AuthorKeys(Key Identity, Key Device, byte[] Certificate) : IDisposable
    {
        public void Dispose()
        {
            Identity.Dispose();
            Device.Dispose();
        }
    }
}
