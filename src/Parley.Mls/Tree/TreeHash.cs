// RFC 9420 §7.8 (tree hashes): TreeHashInput, LeafNodeHashInput and ParentNodeHashInput.
//
//   struct { NodeType node_type; select (node_type) { case leaf: LeafNodeHashInput leaf_node;
//                                                    case parent: ParentNodeHashInput parent_node; }; } TreeHashInput;
//   struct { uint32 leaf_index; optional<LeafNode> leaf_node; } LeafNodeHashInput;
//   struct { optional<ParentNode> parent_node; opaque left_hash<V>; opaque right_hash<V>; } ParentNodeHashInput;
//
// Each node's hash is cached; a change to a node clears the cache of that node and its ancestors
// only, so a commit rehashes O(log n) nodes. Invariant: when a node's hash is cached, the hashes of
// all its descendants are cached too, so clearing can stop at the first ancestor already cleared.
using Parley.Mls.Codec;
using Parley.Mls.Messages;

namespace Parley.Mls.Tree;

public sealed partial class RatchetTree
{
    private byte[]?[] _treeHashes;

    /// <summary>The tree hash of the root, as carried in the GroupContext.</summary>
    public byte[] TreeHash() => TreeHashOf(Root).ToArray();

    /// <summary>The tree hash of the subtree under <paramref name="node"/>.</summary>
    public byte[] TreeHash(NodeIndex node)
    {
        CheckNode(node);
        return TreeHashOf(node).ToArray();
    }

    /// <summary>The tree hash of <paramref name="node"/> (cached; callers must not modify it).</summary>
    internal ReadOnlySpan<byte> TreeHashOf(NodeIndex node) => ComputeTreeHash(node);

    /// <summary>The tree hash of <paramref name="node"/> in the tree modified as for an original sibling
    /// tree hash (RFC 9420 §7.9): each leaf in <paramref name="removed"/> blanked and dropped from
    /// every unmerged_leaves list. Subtrees that contain none of those leaves use the cache.</summary>
    internal byte[] TreeHashWithout(NodeIndex node, IReadOnlyList<LeafIndex> removed)
    {
        bool touched = false;
        foreach (var leaf in removed)
        {
            if (TreeMath.IsInSubtree(node, leaf.Node))
            {
                touched = true;
                break;
            }
        }
        if (!touched)
        {
            return ComputeTreeHash(node);
        }
        if (node.IsLeaf)
        {
            // The only leaf of this subtree is one of the removed ones: hash it as blank.
            return HashLeaf(node.Leaf, null);
        }
        ParentNode? parent = _nodes[node.Value]?.Parent;
        if (parent is not null)
        {
            parent = parent with { UnmergedLeaves = parent.UnmergedLeaves.Where(l => !removed.Contains(l)).ToArray() };
        }
        byte[] left = TreeHashWithout(TreeMath.Left(node), removed);
        byte[] right = TreeHashWithout(TreeMath.Right(node), removed);
        return HashParent(parent, left, right);
    }

    private byte[] ComputeTreeHash(NodeIndex node)
    {
        if (_treeHashes[node.Value] is { } cached)
        {
            return cached;
        }
        byte[] hash;
        if (node.IsLeaf)
        {
            hash = HashLeaf(node.Leaf, _nodes[node.Value]?.Leaf);
        }
        else
        {
            byte[] left = ComputeTreeHash(TreeMath.Left(node));
            byte[] right = ComputeTreeHash(TreeMath.Right(node));
            hash = HashParent(_nodes[node.Value]?.Parent, left, right);
        }
        _treeHashes[node.Value] = hash;
        return hash;
    }

    private byte[] HashLeaf(LeafIndex index, LeafNode? leaf)
    {
        var w = new TlsWriter(leaf is null ? 8 : 512);
        w.WriteUInt8((byte)NodeType.Leaf);
        w.WriteUInt32(index.Value);
        w.WriteOptional(leaf, static (w2, l) => l.Encode(w2));
        return Suite.Hash(w.WrittenSpan);
    }

    private byte[] HashParent(ParentNode? parent, ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var w = new TlsWriter(256);
        w.WriteUInt8((byte)NodeType.Parent);
        w.WriteOptional(parent, static (w2, p) => p.Encode(w2));
        w.WriteOpaque(left);
        w.WriteOpaque(right);
        return Suite.Hash(w.WrittenSpan);
    }

    private void InvalidateTreeHash(NodeIndex node)
    {
        _treeHashes[node.Value] = null;
        uint root = Root.Value;
        var x = node;
        while (x.Value != root)
        {
            x = TreeMath.Parent(x, _leafCount);
            if (_treeHashes[x.Value] is null)
            {
                break;
            }
            _treeHashes[x.Value] = null;
        }
    }
}
