// RFC 9420 §4.1 and Appendix C (array-based trees): the relations between root, parent, children, sibling,
// direct path and copath, checked on random nodes of random full trees from 1 to 2^31 leaves.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Properties;

public sealed class TreeMathProperties
{
    // A tree of 2^depth leaves (ratchet trees always have a power of two) and a node in it.
    private static readonly Gen<(uint Leaves, NodeIndex Node)> NodeInTree =
        from depth in Gen.Choose(0, 31)
        let leaves = 1u << depth
        from node in Gen.Frequency(
            (3, MlsGen.UInt32.Select(v => v % TreeMath.NodeWidth(leaves))),
            (1, Gen.Elements(0u, TreeMath.NodeWidth(leaves) - 1, TreeMath.Root(leaves).Value)))
        select (leaves, new NodeIndex(node));

    private static readonly Gen<(uint Leaves, NodeIndex X, NodeIndex Y)> TwoNodesInTree =
        from t in NodeInTree
        from other in MlsGen.UInt32
        select (t.Leaves, t.Node, new NodeIndex(other % TreeMath.NodeWidth(t.Leaves)));

    private static int Depth(uint leaves) => System.Numerics.BitOperations.Log2(leaves);

    [Property(MaxTest = 500)]
    public Property A_tree_has_2n_minus_1_nodes_and_its_root_is_the_node_at_the_top_level()
        => Prop.ForAll(Gen.Choose(0, 31).ToArbitrary(), depth =>
        {
            uint leaves = 1u << depth;
            Assert.Equal(2UL * leaves - 1, TreeMath.NodeWidth(leaves));
            var root = TreeMath.Root(leaves);
            Assert.Equal(depth, TreeMath.Level(root));
            Assert.Equal(leaves - 1, root.Value);
        });

    [Property(MaxTest = 500)]
    public Property Leaves_are_exactly_the_even_nodes_at_level_0()
        => Prop.ForAll(NodeInTree.ToArbitrary(), t =>
        {
            var x = t.Node;
            Assert.Equal(x.Value % 2 == 0, x.IsLeaf);
            Assert.Equal(x.IsLeaf, TreeMath.Level(x) == 0);
            if (x.IsLeaf)
            {
                Assert.Equal(x, x.Leaf.Node);
            }
            else
            {
                Assert.Throws<InvalidOperationException>(() => TreeMath.Left(new NodeIndex(x.Value - 1)));
            }
        });

    [Property(MaxTest = 500)]
    public Property Each_child_of_a_parent_node_has_that_node_as_parent_one_level_down()
        => Prop.ForAll(NodeInTree.Where(t => !t.Node.IsLeaf).ToArbitrary(), t =>
        {
            var (leaves, x) = t;
            var left = TreeMath.Left(x);
            var right = TreeMath.Right(x);
            Assert.Equal(x, TreeMath.Parent(left, leaves));
            Assert.Equal(x, TreeMath.Parent(right, leaves));
            Assert.True(left.Value < x.Value && x.Value < right.Value);
            Assert.True(right.Value < TreeMath.NodeWidth(leaves));
            Assert.Equal(TreeMath.Level(x) - 1, TreeMath.Level(left));
            Assert.Equal(TreeMath.Level(x) - 1, TreeMath.Level(right));
            Assert.Equal(right, TreeMath.Sibling(left, leaves));
            Assert.Equal(left, TreeMath.Sibling(right, leaves));
        });

    [Property(MaxTest = 500)]
    public Property Siblings_are_symmetric_distinct_and_share_a_parent_one_level_up()
        => Prop.ForAll(NodeInTree.Where(t => t.Node != TreeMath.Root(t.Leaves)).ToArbitrary(), t =>
        {
            var (leaves, x) = t;
            var sibling = TreeMath.Sibling(x, leaves);
            var parent = TreeMath.Parent(x, leaves);
            Assert.NotEqual(x, sibling);
            Assert.Equal(x, TreeMath.Sibling(sibling, leaves));
            Assert.Equal(parent, TreeMath.Parent(sibling, leaves));
            Assert.Equal(TreeMath.Level(x), TreeMath.Level(sibling));
            Assert.Equal(TreeMath.Level(x) + 1, TreeMath.Level(parent));
            Assert.Contains(x, new[] { TreeMath.Left(parent), TreeMath.Right(parent) });
        });

    [Property(MaxTest = 200)]
    public Property The_root_has_no_parent_or_sibling()
        => Prop.ForAll(Gen.Choose(0, 31).ToArbitrary(), depth =>
        {
            uint leaves = 1u << depth;
            var root = TreeMath.Root(leaves);
            Assert.Throws<InvalidOperationException>(() => TreeMath.Parent(root, leaves));
            Assert.Throws<InvalidOperationException>(() => TreeMath.Sibling(root, leaves));
            Assert.Empty(TreeMath.DirectPath(root, leaves));
            Assert.Empty(TreeMath.Copath(root, leaves));
        });

    [Property(MaxTest = 500)]
    public Property The_direct_path_climbs_one_parent_at_a_time_to_the_root_and_the_copath_holds_their_siblings()
        => Prop.ForAll(NodeInTree.ToArbitrary(), t =>
        {
            var (leaves, x) = t;
            var path = TreeMath.DirectPath(x, leaves);
            var copath = TreeMath.Copath(x, leaves);
            Assert.Equal(Depth(leaves) - TreeMath.Level(x), path.Count);
            Assert.Equal(path.Count, copath.Count);
            var below = x;
            for (int i = 0; i < path.Count; i++)
            {
                Assert.Equal(TreeMath.Parent(below, leaves), path[i]);
                Assert.Equal(TreeMath.Sibling(below, leaves), copath[i]);
                Assert.Equal(TreeMath.Level(x) + i + 1, TreeMath.Level(path[i]));
                below = path[i];
            }
            if (path.Count > 0)
            {
                Assert.Equal(TreeMath.Root(leaves), path[^1]);
            }
            Assert.Empty(path.Intersect(copath));
        });

    [Property(MaxTest = 500)]
    public Property A_node_is_in_the_subtree_of_exactly_itself_and_its_direct_path()
        => Prop.ForAll(TwoNodesInTree.ToArbitrary(), t =>
        {
            var (leaves, x, a) = t;
            var ancestors = TreeMath.DirectPath(x, leaves).Append(x).ToHashSet();
            Assert.Equal(ancestors.Contains(a), TreeMath.IsInSubtree(a, x));
            Assert.True(TreeMath.IsInSubtree(TreeMath.Root(leaves), x));
        });

    [Property(MaxTest = 500)]
    public Property A_subtree_at_level_k_spans_2_pow_k_consecutive_leaves_around_its_root()
        => Prop.ForAll(NodeInTree.ToArbitrary(), t =>
        {
            var x = t.Node;
            int k = TreeMath.Level(x);
            uint half = (1u << k) - 1;
            // The leftmost and rightmost leaves below x, and the leaves just outside them.
            Assert.True(TreeMath.IsInSubtree(x, new NodeIndex(x.Value - half)));
            Assert.True(TreeMath.IsInSubtree(x, new NodeIndex(x.Value + half)));
            if (x.Value > half)
            {
                Assert.False(TreeMath.IsInSubtree(x, new NodeIndex(x.Value - half - 2)));
            }
            if ((ulong)x.Value + half + 2 < TreeMath.NodeWidth(t.Leaves))
            {
                Assert.False(TreeMath.IsInSubtree(x, new NodeIndex(x.Value + half + 2)));
            }
        });

    [Property(MaxTest = 500)]
    public Property The_common_ancestor_is_the_lowest_node_on_both_paths_and_does_not_depend_on_order()
        => Prop.ForAll(TwoNodesInTree.ToArbitrary(), t =>
        {
            var (leaves, x, y) = t;
            var pathX = TreeMath.DirectPath(x, leaves).Prepend(x).ToList();
            var pathY = TreeMath.DirectPath(y, leaves).Prepend(y).ToHashSet();
            var expected = pathX.First(pathY.Contains);
            Assert.Equal(expected, TreeMath.CommonAncestor(x, y));
            Assert.Equal(expected, TreeMath.CommonAncestor(y, x));
        });

    // Found by the subtree property: at the root of a 2^31-leaf tree the shift by level + 1 = 32 was taken
    // modulo 32, so no node but the root itself was in the root's subtree.
    [Fact]
    public void Every_node_is_below_the_root_of_a_tree_of_2_pow_31_leaves()
    {
        const uint leaves = 1u << 31;
        var root = TreeMath.Root(leaves);
        var firstLeaf = new NodeIndex(0);
        var lastLeaf = new LeafIndex(leaves - 1).Node;
        Assert.True(TreeMath.IsInSubtree(root, firstLeaf));
        Assert.True(TreeMath.IsInSubtree(root, lastLeaf));
        Assert.Equal(root, TreeMath.CommonAncestor(firstLeaf, lastLeaf));
        Assert.Equal(root, TreeMath.CommonAncestor(root, firstLeaf));
    }

    // Found by the subtree property: a parent node shares its left child's bits above the child's level, so
    // it was reported inside its own child's subtree. (Parley's callers ask only about leaves.)
    [Fact]
    public void A_parent_is_not_in_the_subtree_of_its_child()
    {
        var parent = new NodeIndex(1);
        Assert.False(TreeMath.IsInSubtree(new NodeIndex(0), parent));
        Assert.False(TreeMath.IsInSubtree(new NodeIndex(5), new NodeIndex(3)));
        Assert.True(TreeMath.IsInSubtree(new NodeIndex(3), new NodeIndex(5)));
    }
}
