// RFC 9420 §12.4.3.1 (verifying a received ratchet tree) and §7.9.2 (parent hashes): trees that
// must be rejected.
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class TreeValidationTests
{
    // The largest suite-1 tree of the official vectors: full of parent nodes, unmerged leaves and blanks.
    private static (RatchetTree Tree, byte[] GroupId) VectorTree()
    {
        var entry = VectorFile.Load("tree-validation")
            .Where(e => e.GetProperty("cipher_suite").GetUInt16() == 1)
            .MaxBy(e => e.GetProperty("tree").GetString()!.Length);
        return (RatchetTree.Decode(CipherSuite.Get(1), entry.Hex("tree")), entry.Hex("group_id"));
    }

    private static NodeIndex FirstParent(RatchetTree tree)
    {
        for (uint i = 1; i < tree.NodeCount; i += 2)
        {
            if (!tree.IsBlank(new NodeIndex(i)))
            {
                return new NodeIndex(i);
            }
        }
        throw new InvalidOperationException("The tree has no parent node.");
    }

    [Fact]
    public void The_untouched_vector_tree_is_valid()
    {
        var (tree, groupId) = VectorTree();
        TreeValidation.Validate(tree, tree.TreeHash(), groupId);
    }

    [Fact]
    public void A_tampered_parent_hash_fails_validation()
    {
        var (tree, groupId) = VectorTree();
        var node = FirstParent(tree);
        var parent = tree.GetParent(node)!;
        byte[] tampered = parent.ParentHash.ToArray();
        tampered[0] ^= 1;
        tree.SetParent(node, parent with { ParentHash = tampered });

        MlsAssert.Fails(MlsError.ParentHashInvalid, () => TreeValidation.Validate(tree, tree.TreeHash(), groupId));
    }

    [Fact]
    public void A_tampered_parent_key_fails_validation()
    {
        var (tree, groupId) = VectorTree();
        var node = FirstParent(tree);
        var parent = tree.GetParent(node)!;
        tree.SetParent(node, parent with { EncryptionKey = CipherSuite.Get(1).Hpke.GenerateKeyPair().PublicKey });

        MlsAssert.Fails(MlsError.ParentHashInvalid, () => ParentHash.VerifyTree(tree));
        MlsAssert.Fails(MlsError.ParentHashInvalid, () => TreeValidation.Validate(tree, tree.TreeHash(), groupId));
    }

    [Fact]
    public void A_leaf_with_a_bad_signature_fails_validation()
    {
        var (tree, groupId) = VectorTree();
        var leaf = new LeafIndex(1);
        var node = tree.GetLeaf(leaf)!;
        byte[] signature = node.Signature.ToArray();
        signature[^1] ^= 0x80;
        tree.SetLeaf(leaf, node with { Signature = signature });

        MlsAssert.Fails(MlsError.LeafNodeSignatureInvalid, () => TreeValidation.VerifyLeafSignatures(tree, groupId));
    }

    [Fact]
    public void Leaf_signatures_are_bound_to_the_group_id()
    {
        var (tree, groupId) = VectorTree();
        byte[] otherGroup = [.. groupId, 0];
        MlsAssert.Fails(MlsError.LeafNodeSignatureInvalid, () => TreeValidation.VerifyLeafSignatures(tree, otherGroup));
    }

    [Fact]
    public void Duplicate_encryption_keys_fail_validation()
    {
        var (tree, groupId) = VectorTree();
        var first = tree.GetLeaf(new LeafIndex(0))!;
        var second = tree.GetLeaf(new LeafIndex(1))!;
        tree.SetLeaf(new LeafIndex(1), second with { EncryptionKey = first.EncryptionKey });

        MlsAssert.Fails(MlsError.EncryptionKeyNotUnique, () => TreeValidation.Validate(tree, tree.TreeHash(), groupId));
    }

    [Fact]
    public void Duplicate_signature_keys_fail_validation()
    {
        var (tree, _) = VectorTree();
        var first = tree.GetLeaf(new LeafIndex(0))!;
        var second = tree.GetLeaf(new LeafIndex(1))!;
        tree.SetLeaf(new LeafIndex(1), second with { SignatureKey = first.SignatureKey });

        MlsAssert.Fails(MlsError.SignatureKeyNotUnique, () => TreeValidation.VerifyUniqueKeys(tree));
    }

    [Fact]
    public void A_tree_hash_mismatch_fails_validation()
    {
        var (tree, groupId) = VectorTree();
        byte[] wrong = tree.TreeHash();
        wrong[0] ^= 1;
        MlsAssert.Fails(MlsError.TreeHashMismatch, () => TreeValidation.Validate(tree, wrong, groupId));
    }

    [Fact]
    public void An_unmerged_leaf_outside_the_parents_subtree_fails_validation()
    {
        var suite = CipherSuite.Get(1);
        var members = Enumerable.Range(0, 4).Select(i => new TreeTestMember(suite, $"m{i}")).ToArray();
        var tree = new RatchetTree(suite, members[0].LeafNode);
        foreach (var m in members.Skip(1))
        {
            tree.AddLeaf(m.LeafNode);
        }
        tree.SetParent(new NodeIndex(1), new ParentNode(suite.Hpke.GenerateKeyPair().PublicKey, [], [new LeafIndex(2)]));

        MlsAssert.Fails(MlsError.UnmergedLeavesInvalid, () => TreeValidation.VerifyUnmergedLeaves(tree));
    }

    [Fact]
    public void An_unmerged_leaf_missing_from_an_intermediate_node_fails_validation()
    {
        var suite = CipherSuite.Get(1);
        var members = Enumerable.Range(0, 4).Select(i => new TreeTestMember(suite, $"m{i}")).ToArray();
        var tree = new RatchetTree(suite, members[0].LeafNode);
        foreach (var m in members.Skip(1))
        {
            tree.AddLeaf(m.LeafNode);
        }
        tree.SetParent(new NodeIndex(3), new ParentNode(suite.Hpke.GenerateKeyPair().PublicKey, [], [new LeafIndex(1)]));
        tree.SetParent(new NodeIndex(1), new ParentNode(suite.Hpke.GenerateKeyPair().PublicKey, [], []));

        MlsAssert.Fails(MlsError.UnmergedLeavesInvalid, () => TreeValidation.VerifyUnmergedLeaves(tree));
    }
}
