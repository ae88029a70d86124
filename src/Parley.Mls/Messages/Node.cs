// RFC 9420 §12.4.3.3 (Node, as carried in the ratchet_tree extension).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Whether a ratchet tree node is a leaf or a parent.</summary>
public enum NodeType : byte
{
    Leaf = 1,
    Parent = 2,
}

/// <summary>A non-blank ratchet tree node: exactly one of <see cref="Leaf"/> and <see cref="Parent"/> is set.</summary>
public sealed record Node : IMlsEncodable
{
    public Node(LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        Leaf = leaf;
    }

    public Node(ParentNode parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        Parent = parent;
    }

    public NodeType Type => Leaf is not null ? NodeType.Leaf : NodeType.Parent;

    public LeafNode? Leaf { get; }

    public ParentNode? Parent { get; }

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt8((byte)Type);
        if (Leaf is not null)
        {
            Leaf.Encode(writer);
        }
        else
        {
            Parent!.Encode(writer);
        }
    }

    public static Node Decode(TlsReader reader)
    {
        byte type = reader.ReadUInt8();
        return (NodeType)type switch
        {
            NodeType.Leaf => new Node(LeafNode.Decode(reader)),
            NodeType.Parent => new Node(ParentNode.Decode(reader)),
            _ => throw new MlsDecodeException($"Unknown node type {type}."),
        };
    }
}
