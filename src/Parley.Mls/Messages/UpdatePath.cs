// RFC 9420 §7.6 (update paths) and §12.4.1 (Commit: path).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Messages;

/// <summary>The committer's new leaf node and, for each node on its filtered direct path, a new
/// public key with the path secret encrypted to that node's copath resolution.</summary>
public sealed record UpdatePath(LeafNode LeafNode, IReadOnlyList<UpdatePathNode> Nodes) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        LeafNode.Encode(writer);
        writer.WriteVector(Nodes, static (w, n) => n.Encode(w));
    }

    public static UpdatePath Decode(TlsReader reader)
        => new(LeafNode.Decode(reader), reader.ReadList(UpdatePathNode.Decode));

    public bool Equals(UpdatePath? other)
        => other is not null && LeafNode.Equals(other.LeafNode) && StructuralEquality.Lists(Nodes, other.Nodes);

    public override int GetHashCode() => HashCode.Combine(LeafNode, Nodes.Count);
}

/// <summary>One node of an <see cref="UpdatePath"/>: its new HPKE public key and the path secret
/// encrypted once per node of the copath child's resolution.</summary>
public sealed record UpdatePathNode(byte[] EncryptionKey, IReadOnlyList<HpkeCiphertext> EncryptedPathSecret) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(EncryptionKey);
        writer.WriteVector(EncryptedPathSecret, static (w, c) => c.Encode(w));
    }

    public static UpdatePathNode Decode(TlsReader reader)
        => new(reader.ReadOpaque(), reader.ReadList(HpkeCiphertext.Decode));

    public bool Equals(UpdatePathNode? other)
    {
        if (other is null || !StructuralEquality.Bytes(EncryptionKey, other.EncryptionKey)
            || EncryptedPathSecret.Count != other.EncryptedPathSecret.Count)
        {
            return false;
        }
        for (int i = 0; i < EncryptedPathSecret.Count; i++)
        {
            if (!StructuralEquality.Ciphertexts(EncryptedPathSecret[i], other.EncryptedPathSecret[i]))
            {
                return false;
            }
        }
        return true;
    }

    public override int GetHashCode() => HashCode.Combine(EncryptionKey.Length, EncryptedPathSecret.Count);
}
