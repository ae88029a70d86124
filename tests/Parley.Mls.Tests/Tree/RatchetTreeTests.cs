// RFC 9420 §4.1, §7.7, §7.8, §12.1.1-§12.1.3 and §12.4.3.3: ratchet tree structure, tree hash
// caching and the ratchet_tree encoding.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class RatchetTreeTests
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);

    private static (RatchetTree Tree, TreeTestMember[] Members) TreeOf(int members)
    {
        var all = Enumerable.Range(0, members).Select(i => new TreeTestMember(Suite, $"m{i}")).ToArray();
        var tree = new RatchetTree(Suite, all[0].LeafNode);
        foreach (var m in all.Skip(1))
        {
            tree.AddLeaf(m.LeafNode);
        }
        return (tree, all);
    }

    private static ParentNode SomeParent(byte marker) => new(Enumerable.Repeat(marker, 32).ToArray(), [], []);

    [Fact]
    public void Adding_to_a_full_tree_doubles_its_leaf_count()
    {
        var (tree, _) = TreeOf(4);
        Assert.Equal(4u, tree.LeafCount);
        var index = tree.AddLeaf(new TreeTestMember(Suite, "e").LeafNode);
        Assert.Equal(new LeafIndex(4), index);
        Assert.Equal(8u, tree.LeafCount);
        Assert.Equal(15u, tree.NodeCount);
        Assert.Equal(new NodeIndex(7), tree.Root);
    }

    [Fact]
    public void Add_takes_the_leftmost_blank_leaf_and_is_unmerged_at_non_blank_ancestors()
    {
        var (tree, members) = TreeOf(4);
        tree.SetParent(new NodeIndex(3), SomeParent(3));
        tree.SetParent(new NodeIndex(1), SomeParent(1));
        tree.RemoveLeaf(new LeafIndex(1));
        tree.SetParent(new NodeIndex(3), SomeParent(3) with { UnmergedLeaves = [new LeafIndex(3)] });

        var index = tree.AddLeaf(new TreeTestMember(Suite, "x").LeafNode);

        Assert.Equal(new LeafIndex(1), index);
        Assert.Null(tree.GetParent(new NodeIndex(1))); // blanked by the remove
        Assert.Equal([new LeafIndex(1), new LeafIndex(3)], tree.GetParent(new NodeIndex(3))!.UnmergedLeaves);
        Assert.Equal(members[0].LeafNode, tree.GetLeaf(new LeafIndex(0)));
    }

    [Fact]
    public void Remove_truncates_the_tree_while_its_right_half_is_blank()
    {
        var (tree, _) = TreeOf(5);
        Assert.Equal(8u, tree.LeafCount);
        tree.RemoveLeaf(new LeafIndex(4));
        Assert.Equal(4u, tree.LeafCount);
        tree.RemoveLeaf(new LeafIndex(2));
        Assert.Equal(4u, tree.LeafCount);
        tree.RemoveLeaf(new LeafIndex(3));
        Assert.Equal(2u, tree.LeafCount);
        tree.RemoveLeaf(new LeafIndex(1));
        Assert.Equal(1u, tree.LeafCount);
        Assert.Equal(1, tree.MemberCount);
    }

    [Fact]
    public void Removing_a_blank_leaf_is_a_protocol_error()
    {
        var (tree, _) = TreeOf(3);
        MlsAssert.Fails(MlsError.ProposalForNonMember, () => tree.RemoveLeaf(new LeafIndex(3)));
        MlsAssert.Fails(MlsError.ProposalForNonMember, () => tree.RemoveLeaf(new LeafIndex(9)));
    }

    [Fact]
    public void Encoding_omits_trailing_blanks_and_decoding_pads_to_a_full_tree()
    {
        var (tree, _) = TreeOf(5);
        var nodes = tree.ToNodeList();
        Assert.Equal(9, nodes.Count);

        var decoded = RatchetTree.Decode(Suite, tree.ToBytes());
        Assert.Equal(8u, decoded.LeafCount);
        Assert.Equal(tree.ToBytes(), decoded.ToBytes());
        Assert.Equal(tree.TreeHash(), decoded.TreeHash());
    }

    [Fact]
    public void Decoding_rejects_a_trailing_blank_node_or_a_node_of_the_wrong_type()
    {
        var (tree, members) = TreeOf(2);
        byte[] trailingBlank = TlsWriter.Encode(w => RatchetTreeExtension.Encode(w, [.. tree.ToNodeList(), null]));
        Assert.Throws<MlsDecodeException>(() => RatchetTree.Decode(Suite, trailingBlank));

        Assert.Throws<MlsDecodeException>(() => RatchetTree.FromNodes(Suite, [new Node(members[0].LeafNode), new Node(members[1].LeafNode)]));
    }

    [Fact]
    public void Cached_tree_hashes_follow_every_change()
    {
        var (tree, _) = TreeOf(6);
        byte[] Fresh() => RatchetTree.Decode(Suite, tree.ToBytes()).TreeHash();

        Assert.Equal(Fresh(), tree.TreeHash());
        tree.SetParent(new NodeIndex(5), SomeParent(5));
        Assert.Equal(Fresh(), tree.TreeHash());
        tree.AddLeaf(new TreeTestMember(Suite, "g").LeafNode);
        Assert.Equal(Fresh(), tree.TreeHash());
        tree.RemoveLeaf(new LeafIndex(2));
        Assert.Equal(Fresh(), tree.TreeHash());
        tree.UpdateLeaf(new LeafIndex(4), new TreeTestMember(Suite, "e2").LeafNode);
        Assert.Equal(Fresh(), tree.TreeHash());
        tree.RemoveLeaf(new LeafIndex(6));
        tree.RemoveLeaf(new LeafIndex(5));
        tree.RemoveLeaf(new LeafIndex(4));
        Assert.Equal(4u, tree.LeafCount);
        Assert.Equal(Fresh(), tree.TreeHash());
    }

    [Fact]
    public void A_clone_is_independent_of_the_original()
    {
        var (tree, _) = TreeOf(3);
        byte[] before = tree.TreeHash();
        var clone = tree.Clone();
        clone.RemoveLeaf(new LeafIndex(1));
        Assert.Equal(before, tree.TreeHash());
        Assert.NotEqual(before, clone.TreeHash());
        Assert.NotNull(tree.GetLeaf(new LeafIndex(1)));
    }

    [Fact]
    public void Resolution_and_filtered_direct_path_follow_the_rfc_example()
    {
        // RFC 9420 §4.1.2's tree: A B _ _ E F G _ with T over A,B and X over E,F non-blank.
        var (tree, _) = TreeOf(7);
        tree.RemoveLeaf(new LeafIndex(2));
        tree.RemoveLeaf(new LeafIndex(3));
        tree.SetParent(new NodeIndex(1), SomeParent(1));
        tree.SetParent(new NodeIndex(9), SomeParent(9));

        Assert.Equal([1u, 9u, 12u], tree.Resolution(new NodeIndex(7)).Select(n => n.Value));
        Assert.Equal([1u, 7u], tree.FilteredDirectPath(new LeafIndex(0)).Select(n => n.Value));   // A: T, W
        Assert.Equal([9u, 11u, 7u], tree.FilteredDirectPath(new LeafIndex(4)).Select(n => n.Value)); // E: X, Y, W
        Assert.Equal([11u, 7u], tree.FilteredDirectPath(new LeafIndex(6)).Select(n => n.Value));  // G: Y, W
        Assert.Equal([9u], tree.Resolution(new NodeIndex(11), [new LeafIndex(6)]).Select(n => n.Value));
    }

    [Fact]
    public void Leaves_are_found_by_key_and_by_content()
    {
        var (tree, members) = TreeOf(3);
        Assert.Equal(new LeafIndex(2), tree.FindLeafBySignatureKey(members[2].Signature.PublicKey));
        Assert.Equal(new LeafIndex(1), tree.FindLeafByEncryptionKey(members[1].Encryption.PublicKey));
        Assert.Equal(new LeafIndex(1), tree.FindLeaf(members[1].LeafNode));
        Assert.Null(tree.FindLeafBySignatureKey(new byte[32]));
        Assert.True(tree.ContainsEncryptionKey(members[0].Encryption.PublicKey));
    }
}
