using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public class TreeMathTests
{
    [Theory]
    [InlineData(1u)]
    [InlineData(8u)]
    [InlineData(32u)]
    public void Common_ancestor_is_the_lowest_shared_node_of_both_direct_paths(uint leaves)
    {
        uint width = TreeMath.NodeWidth(leaves);
        for (uint a = 0; a < width; a++)
        {
            for (uint b = 0; b < width; b++)
            {
                var x = new NodeIndex(a);
                var y = new NodeIndex(b);
                var pathX = new List<NodeIndex> { x };
                pathX.AddRange(TreeMath.DirectPath(x, leaves));
                var pathY = new HashSet<NodeIndex>(TreeMath.DirectPath(y, leaves)) { y };
                var expected = pathX.First(pathY.Contains);
                Assert.Equal(expected, TreeMath.CommonAncestor(x, y));
            }
        }
    }

    [Fact]
    public void Direct_path_and_copath_of_a_leaf_have_the_tree_depth()
    {
        var path = TreeMath.DirectPath(new LeafIndex(5).Node, 8);
        var copath = TreeMath.Copath(new LeafIndex(5).Node, 8);
        Assert.Equal(new[] { 9u, 11u, 7u }, path.Select(n => n.Value));
        Assert.Equal(new[] { 8u, 13u, 3u }, copath.Select(n => n.Value));
    }
}
