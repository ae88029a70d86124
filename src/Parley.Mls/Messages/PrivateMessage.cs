// RFC 9420 §6.3 (encoding and decoding a private message).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Encrypted framed content: the sender data and the content are AEAD ciphertexts;
/// group id, epoch, content type and authenticated data travel in the clear.</summary>
public sealed record PrivateMessage(
    byte[] GroupId,
    ulong Epoch,
    ContentType ContentType,
    byte[] AuthenticatedData,
    byte[] EncryptedSenderData,
    byte[] Ciphertext) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(GroupId);
        writer.WriteUInt64(Epoch);
        writer.WriteUInt8((byte)ContentType);
        writer.WriteOpaque(AuthenticatedData);
        writer.WriteOpaque(EncryptedSenderData);
        writer.WriteOpaque(Ciphertext);
    }

    /// <summary>The exact encoded length.</summary>
    public int EncodedLengthHint
        => TlsWriter.OpaqueLength(GroupId.Length) + 8 + 1 + TlsWriter.OpaqueLength(AuthenticatedData.Length)
           + TlsWriter.OpaqueLength(EncryptedSenderData.Length) + TlsWriter.OpaqueLength(Ciphertext.Length);

    public static PrivateMessage Decode(TlsReader reader)
        => new(
            reader.ReadOpaque(),
            reader.ReadUInt64(),
            FramedContent.ReadContentType(reader),
            reader.ReadOpaque(),
            reader.ReadOpaque(),
            reader.ReadOpaque());

    public bool Equals(PrivateMessage? other)
        => other is not null
           && StructuralEquality.Bytes(GroupId, other.GroupId)
           && Epoch == other.Epoch
           && ContentType == other.ContentType
           && StructuralEquality.Bytes(AuthenticatedData, other.AuthenticatedData)
           && StructuralEquality.Bytes(EncryptedSenderData, other.EncryptedSenderData)
           && StructuralEquality.Bytes(Ciphertext, other.Ciphertext);

    public override int GetHashCode() => HashCode.Combine(GroupId.Length, Epoch, ContentType, Ciphertext.Length);
}
