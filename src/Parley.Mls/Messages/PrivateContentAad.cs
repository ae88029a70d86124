// RFC 9420 §6.3.1 (content encryption: PrivateContentAAD).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The additional authenticated data of the content encryption: the PrivateMessage's
/// cleartext framing fields.</summary>
public sealed record PrivateContentAad(byte[] GroupId, ulong Epoch, ContentType ContentType, byte[] AuthenticatedData) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(GroupId);
        writer.WriteUInt64(Epoch);
        writer.WriteUInt8((byte)ContentType);
        writer.WriteOpaque(AuthenticatedData);
    }

    public static PrivateContentAad Decode(TlsReader reader)
        => new(reader.ReadOpaque(), reader.ReadUInt64(), FramedContent.ReadContentType(reader), reader.ReadOpaque());

    public bool Equals(PrivateContentAad? other)
        => other is not null
           && StructuralEquality.Bytes(GroupId, other.GroupId)
           && Epoch == other.Epoch
           && ContentType == other.ContentType
           && StructuralEquality.Bytes(AuthenticatedData, other.AuthenticatedData);

    public override int GetHashCode() => HashCode.Combine(GroupId.Length, Epoch, ContentType);
}
