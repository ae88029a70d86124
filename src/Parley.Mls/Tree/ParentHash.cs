// RFC 9420 §7.9 (parent hashes), §7.9.1 (using parent hashes) and §7.9.2 (verifying parent hashes).
//
//   struct { HPKEPublicKey encryption_key; opaque parent_hash<V>; opaque original_sibling_tree_hash<V>; } ParentHashInput;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Tree;

/// <summary>Parent hashes: computing them along an update path and checking that every non-blank
/// parent node of a tree was set by an UpdatePath of a member below it.</summary>
public static class ParentHash
{
    /// <summary>Hash of ParentHashInput.</summary>
    public static byte[] Compute(CipherSuite suite, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> parentHash,
        ReadOnlySpan<byte> originalSiblingTreeHash)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var w = new TlsWriter(encryptionKey.Length + parentHash.Length + originalSiblingTreeHash.Length + 12);
        w.WriteOpaque(encryptionKey);
        w.WriteOpaque(parentHash);
        w.WriteOpaque(originalSiblingTreeHash);
        return suite.Hash(w.WrittenSpan);
    }

    /// <summary>The parent hash of the non-blank parent <paramref name="parent"/> with copath child
    /// <paramref name="sibling"/>, using the original sibling tree hash.</summary>
    public static byte[] Of(RatchetTree tree, NodeIndex parent, NodeIndex sibling)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var p = tree.GetParent(parent) ?? throw new ArgumentException($"{parent} is blank.", nameof(parent));
        byte[] siblingHash = p.UnmergedLeaves.Count == 0
            ? tree.TreeHashOf(sibling).ToArray()
            : tree.TreeHashWithout(sibling, p.UnmergedLeaves);
        return Compute(tree.Suite, p.EncryptionKey, p.ParentHash, siblingHash);
    }

    /// <summary>Sets the parent_hash fields of the nodes on <paramref name="filteredDirectPath"/> of
    /// <paramref name="leaf"/> from the root down (RFC 9420 §7.9.1) and returns the parent hash the
    /// leaf node must carry. The path's nodes must be non-blank with empty unmerged_leaves.</summary>
    internal static byte[] SetAlongPath(RatchetTree tree, LeafIndex leaf, IReadOnlyList<NodeIndex> filteredDirectPath)
    {
        byte[] above = [];
        for (int i = filteredDirectPath.Count - 1; i >= 0; i--)
        {
            var node = filteredDirectPath[i];
            var p = tree.GetParent(node)!;
            tree.SetParent(node, p with { ParentHash = above });
            // The sibling is untouched by the path and the node has no unmerged leaves, so its
            // current tree hash is its original one.
            var sibling = RatchetTree.CopathChild(node, leaf);
            above = Compute(tree.Suite, p.EncryptionKey, above, tree.TreeHashOf(sibling));
        }
        return above;
    }

    /// <summary>Checks that every non-blank parent node is parent-hash valid (RFC 9420 §7.9.2, "top
    /// down"): exactly one descendant D, in the resolution of one child C, carries the parent hash
    /// of the node with the other child as sibling, and the node's unmerged leaves under C are the
    /// rest of C's resolution. Throws <see cref="MlsProtocolException"/> otherwise.</summary>
    public static void VerifyTree(RatchetTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var resolution = new List<NodeIndex>();
        for (uint i = 1; i < tree.NodeCount; i += 2)
        {
            var node = new NodeIndex(i);
            var p = tree.GetParent(node);
            if (p is null)
            {
                continue;
            }
            int valid = 0;
            foreach (var (child, sibling) in new[] { (TreeMath.Left(node), TreeMath.Right(node)), (TreeMath.Right(node), TreeMath.Left(node)) })
            {
                var unmergedBelow = new HashSet<NodeIndex>();
                foreach (var u in p.UnmergedLeaves)
                {
                    if (TreeMath.IsInSubtree(child, u.Node))
                    {
                        unmergedBelow.Add(u.Node);
                    }
                }
                // C's resolution must be D plus exactly those unmerged leaves.
                resolution.Clear();
                if (!tree.AppendResolution(child, resolution, unmergedBelow.Count + 1)
                    || resolution.Count != unmergedBelow.Count + 1)
                {
                    continue;
                }
                NodeIndex? candidate = null;
                int others = 0;
                foreach (var d in resolution)
                {
                    if (!unmergedBelow.Contains(d))
                    {
                        candidate = d;
                        others++;
                    }
                }
                if (others != 1)
                {
                    continue;
                }
                byte[] expected = Of(tree, node, sibling);
                if (StoredParentHash(tree, candidate!.Value) is { } stored && stored.AsSpan().SequenceEqual(expected))
                {
                    valid++;
                }
            }
            if (valid != 1)
            {
                throw new MlsProtocolException(MlsError.ParentHashInvalid, valid == 0
                    ? $"Parent node {node} is not parent-hash valid."
                    : $"Parent node {node} is parent-hash valid through more than one descendant.");
            }
        }
    }

    /// <summary>The parent_hash field of a non-blank node (null for a leaf not from a commit).</summary>
    private static byte[]? StoredParentHash(RatchetTree tree, NodeIndex node)
    {
        var n = tree.GetNode(node);
        return n?.Leaf is { } leaf ? leaf.ParentHash : n?.Parent?.ParentHash;
    }
}
