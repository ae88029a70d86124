// Fuzz targets of Parley.Content: what devices send each other inside MLS application messages, public
// channel posts, and attachment ciphertexts (docs/client-envelope.md, docs/channels.md).
using System.Security.Cryptography;
using Parley.Client.Channels;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Server.Franking;

namespace Parley.Fuzz.Targets;

internal static class ContentTargets
{
    // A fixed attachment key: the fuzzer cannot forge chunks under it, so the target exercises the framing,
    // truncation and authentication failures that an attacker's blob produces.
    private static readonly byte[] AttachmentKey = SHA256.HashData("parley fuzz attachment key"u8);

    // Any 32 bytes serve as the author's identity key: the target checks that verifying never throws.
    private static readonly byte[] IdentityKey = SHA256.HashData("parley fuzz identity key"u8);

    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("content-envelope",
            "ContentEnvelope (every content kind; a supported one must survive encode then decode), the franking AAD, and "
            + "the server's franking stamp",
            ContentEnvelopeTarget);
        yield return new FuzzTarget("public-post",
            "PublicPost, decoded then verified against an arbitrary identity key",
            PublicPostTarget);
        yield return new FuzzTarget("attachment",
            "an attachment reference (envelope content of kind attachment) when the first octet is even, "
            + "otherwise an attachment ciphertext (chunk framing and authentication)",
            AttachmentTarget);
        yield return new FuzzTarget("sender-proof",
            "the sender proof of a report of a sealed message (decoded, then verified against an arbitrary envelope and key), "
            + "a stamp stored with its proof, and a sealed send's delivery-key signature",
            SenderProofTarget);
        yield return new FuzzTarget("channel-extension",
            "the channel GroupContext extension 0xF0C1 as the client and the server read it",
            ChannelExtensionTarget);
    }

    private static void ContentEnvelopeTarget(byte[] input)
    {
        var envelope = Expect.Only<EnvelopeFormatException, ContentEnvelope>(() => ContentEnvelope.Decode(input));
        if (envelope is not null && envelope.Content is not UnsupportedContent)
        {
            Expect.That(ContentEnvelope.Decode(envelope.Encode()).Equals(envelope), "A decoded envelope does not survive encode then decode.");
        }
        if (Franking.TryDecodeAad(input, out byte[] commitment))
        {
            Expect.That(Franking.EncodeAad(commitment).AsSpan().SequenceEqual(input), "A franking AAD does not encode back to its input.");
        }
        Expect.Only<MlsDecodeException>(() => FrankingStamp.Decode(input));
    }

    private static void PublicPostTarget(byte[] input)
    {
        var post = Expect.Only<PublicPostFormatException, PublicPost>(() => PublicPost.Decode(input));
        if (post is null)
        {
            return;
        }
        Expect.That(post.Encode().AsSpan().SequenceEqual(input), "A decoded public post does not encode back to its input.");
        post.Verify(IdentityKey);
        post.Verify(post.DeviceSignatureKey);
    }

    private static void AttachmentTarget(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        if (input[0] % 2 == 0)
        {
            var envelope = TlsWriter.Encode(w =>
            {
                w.WriteUInt16(ContentEnvelope.CurrentVersion);
                w.WriteUInt16((ushort)ContentKind.Attachment);
                w.WriteOpaque("fuzz"u8);
                w.WriteUInt64(0);
                w.WriteOpaque(input.AsSpan(1));
            });
            var decoded = ContentEnvelope.Decode(envelope);
            Expect.That(decoded.Content is AttachmentContent or UnsupportedContent, "An attachment envelope decoded as another kind.");
            if (decoded.Content is AttachmentContent attachment)
            {
                Expect.That(ContentEnvelope.Decode(decoded.Encode()).Equals(decoded), "An attachment reference does not survive encode then decode.");
                Expect.That(attachment.Attachment.Size >= 0, "An attachment reference has a negative size.");
            }
            return;
        }
        Expect.Only<AttachmentIntegrityException>(() =>
        {
            using var ciphertext = new MemoryStream(input, 1, input.Length - 1, writable: false);
            using var plaintext = new MemoryStream();
            // An even first byte reads the rest as an unpadded file; an odd one as a padded file that many bytes
            // shorter than its ciphertext could hold, so the padding checks run too.
            byte scheme = (input[0] & 1) == 0 ? AttachmentCipher.UnpaddedScheme : AttachmentCipher.SchemeId;
            long? size = scheme == AttachmentCipher.UnpaddedScheme || input.Length - 1 < AttachmentCipher.TagSize ? null
                : Math.Max(0, AttachmentCipher.MaxPlaintextLength(input.Length - 1, AttachmentCipher.MinChunkSize, AttachmentCipher.UnpaddedScheme) - input[0] / 2);
            AttachmentCipher.DecryptAsync(ciphertext, plaintext, AttachmentKey, SHA256.HashData(input.AsSpan(1)), AttachmentCipher.MinChunkSize,
                size, scheme: size is null ? AttachmentCipher.UnpaddedScheme : scheme).GetAwaiter().GetResult();
        });
    }

    private static void SenderProofTarget(byte[] input)
    {
        var proof = Expect.Only<MlsDecodeException, SenderProof>(() => SenderProof.Decode(input));
        if (proof is not null)
        {
            Expect.That(SenderProof.Decode(proof.Encode()).Encode().AsSpan().SequenceEqual(proof.Encode()),
                "A decoded sender proof does not survive encode then decode.");
            byte[] envelope = new ContentEnvelope("fuzz", DateTimeOffset.UnixEpoch, new TextContent("fuzz"), new byte[Franking.KeySize]).Encode();
            Expect.That(!proof.Verify(Parley.Mls.Crypto.CipherSuite.Get(1), "fuzz"u8, envelope, IdentityKey),
                "An arbitrary sender proof verified under a key nobody signed with.");
        }
        Expect.Only<MlsDecodeException>(() => SenderProof.Load(input));
        int half = input.Length / 2;
        Expect.That(!SealedSender.Verify(input.AsSpan(0, Math.Min(half, SealedSender.KeySize)), "fuzz"u8, "fuzz", input, input.AsSpan(half)),
            "An arbitrary delivery-key signature verified.");
    }

    private static void ChannelExtensionTarget(byte[] input)
    {
        if (ChannelExtensionFormat.TryRead(input, out byte version, out byte[] name, out IReadOnlyList<byte[]> admins))
        {
            Expect.That(name is not null && admins is not null, "ChannelExtensionFormat.TryRead answered true with null fields.");
        }
        _ = version;
        if (Parley.Server.Channels.ChannelExtension.TryDecode(input, out var serverView, out string? error))
        {
            Expect.That(serverView is not null && error is null, "The server's channel extension reader answered true without a value.");
            Expect.That(Parley.Server.Channels.ChannelExtension.TryDecode(serverView!.Encode(), out var again, out _) && again == serverView,
                "The server's channel extension does not survive encode then decode.");
        }
        if (ChannelExtension.TryDecode(input) is { } extension)
        {
            var again = ChannelExtension.TryDecode(extension.ToExtension().Data);
            Expect.That(again is not null && again.Name == extension.Name && again.Admins.SequenceEqual(extension.Admins),
                "A channel extension does not survive encode then decode.");
        }
    }
}
