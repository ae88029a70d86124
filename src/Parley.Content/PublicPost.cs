// A public channel post (docs/channels.md, "Public channels"): signed by an admin's device, not encrypted.
//
//   struct {
//       uint8  version = 1;
//       opaque channel<V>;                 // the channel's name
//       opaque post_id<V>;                 // 1..64 of A-Z a-z 0-9 _ -
//       uint8  op;                         // 1 post, 2 edit, 3 delete
//       uint64 sent_at_ms;                 // author's clock, ms since the Unix epoch
//       opaque text<V>;                    // UTF-8
//       opaque author<V>;                  // the author's username (lower case)
//       opaque device_signature_key<V>;    // the author device's MLS signature key (Ed25519, suite 1)
//       opaque device_certificate<V>;      // the account identity key's "Parley device v1" signature over that key
//       opaque signature<V>;               // Ed25519 by device_signature_key over
//   } PublicPost;                          //   "Parley public post v1" || 0x00 || every field before signature, encoded as above
//
// A reader checks post → device key (signature) → account identity key (certificate), and that the author is one of
// the channel's admins. Vectors are MLS variable-length vectors (RFC 9420 §2.1.2).
using System.Text;
using NSec.Cryptography;
using Parley.Mls.Codec;

namespace Parley.Content;

/// <summary>What a signed public post does.</summary>
public enum PublicPostOperation : byte
{
    /// <summary>A new post.</summary>
    Post = 1,

    /// <summary>Replaces the text of the post with the same id.</summary>
    Edit = 2,

    /// <summary>Deletes the post with the same id.</summary>
    Delete = 3,
}

/// <summary>A malformed public post.</summary>
public sealed class PublicPostFormatException : Exception
{
    public PublicPostFormatException() { }

    public PublicPostFormatException(string message) : base(message) { }

    public PublicPostFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>One signed version of a public channel post. Create it with <see cref="Sign(string, string, PublicPostOperation,
/// DateTimeOffset, string, string, byte[], Key)"/>; check a received one with <see cref="Verify"/> against the author's
/// account identity key.</summary>
public sealed record PublicPost(
    string Channel,
    string PostId,
    PublicPostOperation Operation,
    DateTimeOffset SentAt,
    string Text,
    string Author,
    byte[] DeviceSignatureKey,
    byte[] DeviceCertificate,
    byte[] Signature)
{
    /// <summary>The version this code writes and reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>The domain-separation label of the post signature.</summary>
    public const string SignatureLabel = "Parley public post v1";

    /// <summary>The cipher suite of the device signature key (MLS suite 1: Ed25519), which the device certificate names.</summary>
    public const ushort CipherSuite = 1;

    /// <summary>Signs a post with the author device's Ed25519 key (its MLS signature key).</summary>
    public static PublicPost Sign(string channel, string postId, PublicPostOperation operation, DateTimeOffset sentAt, string text,
        string author, byte[] deviceCertificate, Key deviceSignatureKey)
    {
        ArgumentNullException.ThrowIfNull(deviceSignatureKey);
        if (deviceSignatureKey.Algorithm is not Ed25519)
        {
            throw new ArgumentException("A public post is signed with an Ed25519 key.", nameof(deviceSignatureKey));
        }
        byte[] publicKey = deviceSignatureKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var unsigned = new PublicPost(channel, postId, operation, sentAt, text, author, publicKey, deviceCertificate, []);
        return unsigned with { Signature = SignatureAlgorithm.Ed25519.Sign(deviceSignatureKey, unsigned.SigningInput()) };
    }

    /// <summary>Signs a post with the author device's Ed25519 private key as a 32-byte seed (how Parley.Mls holds MLS
    /// signature keys of suite 1).</summary>
    public static PublicPost Sign(string channel, string postId, PublicPostOperation operation, DateTimeOffset sentAt, string text,
        string author, byte[] deviceCertificate, ReadOnlySpan<byte> deviceSignatureSeed)
    {
        using Key key = Key.Import(SignatureAlgorithm.Ed25519, deviceSignatureSeed, KeyBlobFormat.RawPrivateKey);
        return Sign(channel, postId, operation, sentAt, text, author, deviceCertificate, key);
    }

    /// <summary>The bytes the signature covers: the label, a zero byte, and every field before the signature.</summary>
    public byte[] SigningInput()
    {
        var w = new TlsWriter(128 + Text.Length);
        w.WriteBytes(Encoding.ASCII.GetBytes(SignatureLabel));
        w.WriteUInt8(0);
        WriteFields(w);
        return w.ToArray();
    }

    /// <summary>Encodes the post, signature included.</summary>
    public byte[] Encode()
    {
        var w = new TlsWriter(200 + Text.Length);
        WriteFields(w);
        w.WriteOpaque(Signature);
        return w.ToArray();
    }

    /// <summary>Decodes a post; anything malformed (unknown version or operation, invalid post id or UTF-8, trailing
    /// bytes) throws <see cref="PublicPostFormatException"/>. Decoding checks no signature.</summary>
    public static PublicPost Decode(ReadOnlyMemory<byte> data)
    {
        try
        {
            return TlsReader.Decode(data, static r =>
            {
                byte version = r.ReadUInt8();
                if (version != CurrentVersion)
                {
                    throw new MlsDecodeException($"Public post version {version} is unknown.");
                }
                string channel = r.ReadString();
                string postId = r.ReadString();
                byte operation = r.ReadUInt8();
                if (operation is < (byte)PublicPostOperation.Post or > (byte)PublicPostOperation.Delete)
                {
                    throw new MlsDecodeException($"Public post operation {operation} is unknown.");
                }
                if (!ContentEnvelope.IsValidMessageId(postId))
                {
                    throw new MlsDecodeException("A post id is 1-64 characters of A-Z a-z 0-9 _ -.");
                }
                return new PublicPost(channel, postId, (PublicPostOperation)operation, r.ReadTime(), r.ReadString(), r.ReadString(),
                    r.ReadOpaque(), r.ReadOpaque(), r.ReadOpaque());
            });
        }
        catch (MlsDecodeException e)
        {
            throw new PublicPostFormatException("The public post is malformed: " + e.Message, e);
        }
    }

    /// <summary>Decodes a post, or returns false when it is malformed.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, out PublicPost? post)
    {
        try
        {
            post = Decode(data);
            return true;
        }
        catch (PublicPostFormatException)
        {
            post = null;
            return false;
        }
    }

    /// <summary>Whether <see cref="Signature"/> is the device signature key's signature over <see cref="SigningInput"/>.</summary>
    public bool VerifySignature() => DeviceCertificateStatement.Ed25519Verify(DeviceSignatureKey, SigningInput(), Signature);

    /// <summary>Whether <see cref="DeviceCertificate"/> is <paramref name="authorIdentityKey"/>'s "Parley device v1"
    /// statement over <see cref="Author"/> and <see cref="DeviceSignatureKey"/>.</summary>
    public bool VerifyCertificate(ReadOnlySpan<byte> authorIdentityKey)
        => DeviceCertificateStatement.Verify(authorIdentityKey, Author, CipherSuite, DeviceSignatureKey, DeviceCertificate);

    /// <summary>The whole chain: the post is signed by the device key, and the device key is certified by
    /// <paramref name="authorIdentityKey"/> for <see cref="Author"/>. Whether the author may post to the channel
    /// (is one of its admins) is for the caller to check.</summary>
    public bool Verify(ReadOnlySpan<byte> authorIdentityKey) => VerifySignature() && VerifyCertificate(authorIdentityKey);

    public bool Equals(PublicPost? other)
        => other is not null && Channel == other.Channel && PostId == other.PostId && Operation == other.Operation
           && SentAt == other.SentAt && Text == other.Text && Author == other.Author
           && DeviceSignatureKey.AsSpan().SequenceEqual(other.DeviceSignatureKey)
           && DeviceCertificate.AsSpan().SequenceEqual(other.DeviceCertificate)
           && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => HashCode.Combine(Channel, PostId, Operation, SentAt);

    private void WriteFields(TlsWriter w)
    {
        w.WriteUInt8(CurrentVersion);
        w.WriteString(Channel);
        w.WriteString(PostId);
        w.WriteUInt8((byte)Operation);
        w.WriteTime(SentAt);
        w.WriteString(Text);
        w.WriteString(Author);
        w.WriteOpaque(DeviceSignatureKey);
        w.WriteOpaque(DeviceCertificate);
    }
}
