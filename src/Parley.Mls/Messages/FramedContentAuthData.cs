// RFC 9420 §6.1 (content authentication: FramedContentAuthData).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The sender's signature over FramedContentTBS and, for a commit, the confirmation tag
/// MAC(confirmation_key, confirmed_transcript_hash).</summary>
public sealed record FramedContentAuthData(byte[] Signature, byte[]? ConfirmationTag) : IMlsEncodable
{
    /// <summary>Writes the signature and, when present, the confirmation tag.</summary>
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(Signature);
        if (ConfirmationTag is not null)
        {
            writer.WriteOpaque(ConfirmationTag);
        }
    }

    /// <summary>Writes the auth data of content of type <paramref name="contentType"/>, which has a
    /// confirmation tag exactly when it is a commit.</summary>
    public void Encode(TlsWriter writer, ContentType contentType)
    {
        if ((contentType == ContentType.Commit) != (ConfirmationTag is not null))
        {
            throw new InvalidOperationException(contentType == ContentType.Commit
                ? "A commit's auth data needs its confirmation tag."
                : "Only a commit's auth data carries a confirmation tag.");
        }
        Encode(writer);
    }

    /// <summary>Reads the auth data of content of type <paramref name="contentType"/>.</summary>
    public static FramedContentAuthData Decode(TlsReader reader, ContentType contentType)
        => new(reader.ReadOpaque(), contentType == ContentType.Commit ? reader.ReadOpaque() : null);

    public bool Equals(FramedContentAuthData? other)
        => other is not null
           && StructuralEquality.Bytes(Signature, other.Signature)
           && StructuralEquality.Bytes(ConfirmationTag, other.ConfirmationTag);

    public override int GetHashCode() => HashCode.Combine(Signature.Length, ConfirmationTag?.Length);
}
