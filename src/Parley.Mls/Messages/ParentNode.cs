// RFC 9420 §7.1 (parent node contents).
using Parley.Mls.Codec;
using Parley.Mls.Tree;

namespace Parley.Mls.Messages;

/// <summary>An interior node of the ratchet tree: an HPKE key known to the leaves below it, the
/// hash of its parent, and the leaves below it that do not know its private key yet.</summary>
public sealed record ParentNode(byte[] EncryptionKey, byte[] ParentHash, IReadOnlyList<LeafIndex> UnmergedLeaves) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(EncryptionKey);
        writer.WriteOpaque(ParentHash);
        writer.WriteVector(UnmergedLeaves, static (w, l) => w.WriteUInt32(l.Value));
    }

    public static ParentNode Decode(TlsReader reader)
        => new(reader.ReadOpaque(), reader.ReadOpaque(), reader.ReadList(static r => new LeafIndex(r.ReadUInt32())));

    public bool Equals(ParentNode? other)
        => other is not null
           && StructuralEquality.Bytes(EncryptionKey, other.EncryptionKey)
           && StructuralEquality.Bytes(ParentHash, other.ParentHash)
           && StructuralEquality.Lists(UnmergedLeaves, other.UnmergedLeaves);

    public override int GetHashCode() => HashCode.Combine(EncryptionKey.Length, UnmergedLeaves.Count);
}
