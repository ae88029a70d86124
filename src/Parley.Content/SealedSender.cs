// Parley sealed sending (docs/protocol.md, "Sealed sending"; docs/server-protocol.md, "POST /v1/groups/{groupId}/sealed").
//
//   seed        MLS-Exporter("parley sealed sender", group_id, 32) of the epoch (RFC 9420 §8.5)
//   key pair    Ed25519 from seed; the public key is the epoch's "delivery key", announced to the server by whoever
//               starts the epoch (group registration, or the commit that ends the previous one)
//   signature   Ed25519(seed, "Parley sealed send v1" || 0x00 || opaque group_id<V> || opaque message_id<V> ||
//                               opaque message<V>)       -- message: the whole MLSMessage (a PrivateMessage)
//
// Every member of the epoch derives the same key, so a valid signature tells the server "a member of this
// group in this epoch", never which one. Only members hold the exporter secret, so nobody else can sign.
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>The per-epoch delivery credential of sealed sending: derivation of the key pair from a group's exporter
/// secret, and the signature over a sealed send that the server checks.</summary>
public static class SealedSender
{
    /// <summary>The MLS exporter label of the credential's seed.</summary>
    public const string ExporterLabel = "parley sealed sender";

    /// <summary>Bytes of the seed, of a delivery key (Ed25519 public key) and of a signature.</summary>
    public const int SeedSize = 32, KeySize = 32, SignatureSize = 64;

    private static ReadOnlySpan<byte> Label => "Parley sealed send v1"u8;
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    /// <summary>The delivery key (public) that belongs to <paramref name="seed"/>.</summary>
    public static byte[] DeliveryKey(ReadOnlySpan<byte> seed)
    {
        using var signer = new SealedSigner(seed);
        return signer.DeliveryKey;
    }

    /// <summary>Signs a sealed send of <paramref name="message"/> under <paramref name="messageId"/> to group
    /// <paramref name="groupId"/> (its raw MLS group id) with the epoch's <paramref name="seed"/>. Sending many messages in one epoch, keep a
    /// <see cref="SealedSigner"/> instead.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> groupId, string messageId, ReadOnlySpan<byte> message)
    {
        using var signer = new SealedSigner(seed);
        return signer.Sign(groupId, messageId, message);
    }

    /// <summary>True when <paramref name="signature"/> is <paramref name="deliveryKey"/>'s signature over this send; false for
    /// a malformed key or signature.</summary>
    public static bool Verify(ReadOnlySpan<byte> deliveryKey, ReadOnlySpan<byte> groupId, string messageId, ReadOnlySpan<byte> message,
        ReadOnlySpan<byte> signature)
    {
        if (deliveryKey.Length != KeySize || signature.Length != SignatureSize
            || !PublicKey.TryImport(Ed25519, deliveryKey, KeyBlobFormat.RawPublicKey, out PublicKey? publicKey))
        {
            return false;
        }
        return Ed25519.Verify(publicKey!, SignedBytes(groupId, messageId, message), signature);
    }

    internal static Key Import(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"A sealed-sender seed is {SeedSize} bytes.", nameof(seed));
        }
        return Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey);
    }

    internal static byte[] SignedBytes(ReadOnlySpan<byte> groupId, string messageId, ReadOnlySpan<byte> message)
    {
        var w = new TlsWriter(Label.Length + 1 + groupId.Length + messageId.Length + message.Length + 16);
        w.WriteBytes(Label);
        w.WriteUInt8(0);
        w.WriteOpaque(groupId);
        w.WriteOpaque(Encoding.ASCII.GetBytes(messageId));
        w.WriteOpaque(message);
        return w.ToArray();
    }

    /// <summary>A fresh key pair's seed, for tests and tools that stand in for a group's exporter.</summary>
    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(SeedSize);
}
