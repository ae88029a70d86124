// RFC 9420 §6.3.2 (sender data encryption: SenderDataAAD).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The additional authenticated data of the sender data encryption: the first three
/// fields of the PrivateMessage.</summary>
public sealed record SenderDataAad(byte[] GroupId, ulong Epoch, ContentType ContentType) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(GroupId);
        writer.WriteUInt64(Epoch);
        writer.WriteUInt8((byte)ContentType);
    }

    public static SenderDataAad Decode(TlsReader reader)
        => new(reader.ReadOpaque(), reader.ReadUInt64(), FramedContent.ReadContentType(reader));

    public bool Equals(SenderDataAad? other)
        => other is not null
           && StructuralEquality.Bytes(GroupId, other.GroupId)
           && Epoch == other.Epoch
           && ContentType == other.ContentType;

    public override int GetHashCode() => HashCode.Combine(GroupId.Length, Epoch, ContentType);
}
