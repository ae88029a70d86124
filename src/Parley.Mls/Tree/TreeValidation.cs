// RFC 9420 §12.4.3.1 (a new member verifies the ratchet tree), §7.9.2 (parent hashes), §7.3 (leaf
// node signatures and the uniqueness of signature and encryption keys).
using Parley.Mls.Messages;

namespace Parley.Mls.Tree;

/// <summary>Checks a ratchet tree received from others (in a Welcome or out of band) before it is
/// used. Each failure throws <see cref="MlsProtocolException"/> naming the rule and the node.</summary>
public static class TreeValidation
{
    /// <summary>Runs every check of RFC 9420 §12.4.3.1 that needs only the tree: the root tree hash
    /// equals <paramref name="expectedTreeHash"/>, every parent node is parent-hash valid, every leaf
    /// node's signature verifies (with <paramref name="groupId"/> and its leaf index for update and
    /// commit leaves), unmerged leaves are consistent, and public keys are unique. Credentials,
    /// capabilities and lifetimes are the caller's to check.</summary>
    public static void Validate(RatchetTree tree, ReadOnlySpan<byte> expectedTreeHash, byte[] groupId)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(groupId);
        if (!tree.TreeHashOf(tree.Root).SequenceEqual(expectedTreeHash))
        {
            throw new MlsProtocolException(MlsError.TreeHashMismatch, "The ratchet tree does not match the group's tree hash.");
        }
        if (tree.MemberCount == 0)
        {
            throw new MlsProtocolException(MlsError.TreeEmpty, "The ratchet tree has no members.");
        }
        VerifyUniqueKeys(tree);
        VerifyUnmergedLeaves(tree);
        ParentHash.VerifyTree(tree);
        VerifyLeafSignatures(tree, groupId);
    }

    /// <summary>Checks every non-blank leaf's signature; update and commit leaves are signed with
    /// the group id and their leaf index.</summary>
    public static void VerifyLeafSignatures(RatchetTree tree, byte[] groupId)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(groupId);
        var leaves = tree.EnumerateLeaves().ToArray();
        // Signature checks dominate joining a large group; they are independent, so spread them.
        var valid = new bool[leaves.Length];
        Parallel.For(0, leaves.Length, new ParallelOptions { MaxDegreeOfParallelism = leaves.Length < 64 ? 1 : -1 },
            i => valid[i] = leaves[i].Leaf.Verify(tree.Suite, groupId, leaves[i].Index));
        int bad = Array.IndexOf(valid, false);
        if (bad >= 0)
        {
            throw new MlsProtocolException(MlsError.LeafNodeSignatureInvalid, $"The leaf node signature of {leaves[bad].Index} is invalid.");
        }
    }

    /// <summary>Checks each parent's unmerged_leaves: every entry is a non-blank leaf below the parent,
    /// listed once, and every non-blank parent between that leaf and the parent lists it too.</summary>
    public static void VerifyUnmergedLeaves(RatchetTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        for (uint i = 1; i < tree.NodeCount; i += 2)
        {
            var node = new NodeIndex(i);
            var parent = tree.GetParent(node);
            if (parent is null)
            {
                continue;
            }
            var seen = new HashSet<LeafIndex>();
            foreach (var leaf in parent.UnmergedLeaves)
            {
                if (!seen.Add(leaf))
                {
                    throw new MlsProtocolException(MlsError.UnmergedLeavesInvalid, $"Parent node {node} lists {leaf} as unmerged twice.");
                }
                if (leaf.Value >= tree.LeafCount || !TreeMath.IsInSubtree(node, leaf.Node))
                {
                    throw new MlsProtocolException(MlsError.UnmergedLeavesInvalid, $"Parent node {node} lists {leaf}, which is not below it, as unmerged.");
                }
                if (tree.GetLeaf(leaf) is null)
                {
                    throw new MlsProtocolException(MlsError.UnmergedLeavesInvalid, $"Parent node {node} lists blank {leaf} as unmerged.");
                }
                var x = leaf.Node;
                while (true)
                {
                    x = TreeMath.Parent(x, tree.LeafCount);
                    if (x == node)
                    {
                        break;
                    }
                    if (tree.GetParent(x) is { } between && !between.UnmergedLeaves.Contains(leaf))
                    {
                        throw new MlsProtocolException(MlsError.UnmergedLeavesInvalid,
                            $"{leaf} is unmerged at {node} but not at {x}, a non-blank node between them.");
                    }
                }
            }
        }
    }

    /// <summary>Checks that no encryption key appears in two nodes (leaf or parent) and no signature
    /// key in two leaves.</summary>
    public static void VerifyUniqueKeys(RatchetTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var encryptionKeys = new HashSet<byte[]>(PublicKeyComparer.Instance);
        var signatureKeys = new HashSet<byte[]>(PublicKeyComparer.Instance);
        for (uint i = 0; i < tree.NodeCount; i++)
        {
            var index = new NodeIndex(i);
            var node = tree.GetNode(index);
            if (node is null)
            {
                continue;
            }
            if (!encryptionKeys.Add(node.Leaf?.EncryptionKey ?? node.Parent!.EncryptionKey))
            {
                throw new MlsProtocolException(MlsError.EncryptionKeyNotUnique, $"The encryption key of {index} is used by another node.");
            }
            if (node.Leaf is { } leaf && !signatureKeys.Add(leaf.SignatureKey))
            {
                throw new MlsProtocolException(MlsError.SignatureKeyNotUnique, $"The signature key of {index.Leaf} is used by another leaf.");
            }
        }
    }
}
