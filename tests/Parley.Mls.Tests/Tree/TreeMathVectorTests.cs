// RFC 9420 Appendix C (array-based trees), checked against the tree-math.json interop vectors.
using System.Text.Json;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class TreeMathVectorTests
{
    public static IEnumerable<object[]> Cases() => VectorFile.Cases("tree-math");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tree_math_matches_the_vector(int index, ushort suite)
    {
        _ = suite;
        var v = VectorFile.Load("tree-math")[index];
        uint leaves = v.GetProperty("n_leaves").GetUInt32();
        uint nodes = v.GetProperty("n_nodes").GetUInt32();
        var root = TreeMath.Root(leaves);

        Assert.Equal(nodes, TreeMath.NodeWidth(leaves));
        Assert.Equal(v.GetProperty("root").GetUInt32(), root.Value);

        var left = Optionals(v, "left");
        var right = Optionals(v, "right");
        var parent = Optionals(v, "parent");
        var sibling = Optionals(v, "sibling");
        Assert.Equal((int)nodes, left.Length);
        for (uint i = 0; i < nodes; i++)
        {
            var x = new NodeIndex(i);
            Assert.True(left[i] == (x.IsLeaf ? null : TreeMath.Left(x).Value), $"left({i})");
            Assert.True(right[i] == (x.IsLeaf ? null : TreeMath.Right(x).Value), $"right({i})");
            Assert.True(parent[i] == (x == root ? null : TreeMath.Parent(x, leaves).Value), $"parent({i})");
            Assert.True(sibling[i] == (x == root ? null : TreeMath.Sibling(x, leaves).Value), $"sibling({i})");
        }
    }

    private static uint?[] Optionals(JsonElement v, string property)
        => v.GetProperty(property).EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.Null ? (uint?)null : e.GetUInt32())
            .ToArray();
}
