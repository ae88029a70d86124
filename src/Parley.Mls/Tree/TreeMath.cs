// RFC 9420 §4.1 and Appendix C (array-based trees): left-balanced binary trees stored in an
// array, leaves at even node indices, parents at odd ones.
using System.Numerics;

namespace Parley.Mls.Tree;

/// <summary>Index of a leaf among the leaves of a ratchet tree (0, 1, 2, ...).</summary>
public readonly record struct LeafIndex(uint Value)
{
    /// <summary>The node index of this leaf: 2 * leaf.</summary>
    public NodeIndex Node => new(Value * 2);

    public override string ToString() => $"leaf {Value}";
}

/// <summary>Index of a node in the array representation of a ratchet tree.</summary>
public readonly record struct NodeIndex(uint Value)
{
    public bool IsLeaf => (Value & 1) == 0;

    /// <summary>The leaf index of a leaf node.</summary>
    public LeafIndex Leaf => IsLeaf ? new(Value / 2) : throw new InvalidOperationException($"Node {Value} is not a leaf.");

    public override string ToString() => $"node {Value}";
}

/// <summary>Tree arithmetic for a tree of a given leaf count (a power of two in MLS trees;
/// any count is accepted so the official vectors can be checked).</summary>
public static class TreeMath
{
    /// <summary>The level of a node: 0 for leaves, the number of trailing 1 bits otherwise.</summary>
    public static int Level(NodeIndex x) => BitOperations.TrailingZeroCount(~x.Value);

    /// <summary>The number of nodes needed for <paramref name="leafCount"/> leaves.</summary>
    public static uint NodeWidth(uint leafCount) => leafCount == 0 ? 0 : 2 * (leafCount - 1) + 1;

    /// <summary>The root of a tree with <paramref name="leafCount"/> leaves.</summary>
    public static NodeIndex Root(uint leafCount)
    {
        uint w = NodeWidth(leafCount);
        return new((1u << Log2(w)) - 1);
    }

    public static NodeIndex Left(NodeIndex x)
    {
        int k = Level(x);
        if (k == 0)
        {
            throw new InvalidOperationException("A leaf has no children.");
        }
        return new(x.Value ^ (1u << (k - 1)));
    }

    public static NodeIndex Right(NodeIndex x)
    {
        int k = Level(x);
        if (k == 0)
        {
            throw new InvalidOperationException("A leaf has no children.");
        }
        return new(x.Value ^ (3u << (k - 1)));
    }

    /// <summary>The parent of a non-root node in a full tree; callers handle the root.</summary>
    public static NodeIndex Parent(NodeIndex x, uint leafCount)
    {
        if (x == Root(leafCount))
        {
            throw new InvalidOperationException("The root has no parent.");
        }
        int k = Level(x);
        uint b = (x.Value >> (k + 1)) & 1;
        return new((x.Value | (1u << k)) ^ (b << (k + 1)));
    }

    public static NodeIndex Sibling(NodeIndex x, uint leafCount)
    {
        var p = Parent(x, leafCount);
        return x.Value < p.Value ? Right(p) : Left(p);
    }

    /// <summary>The direct path of a node: its ancestors up to and including the root,
    /// excluding the node itself.</summary>
    public static List<NodeIndex> DirectPath(NodeIndex x, uint leafCount)
    {
        var root = Root(leafCount);
        var path = new List<NodeIndex>();
        while (x != root)
        {
            x = Parent(x, leafCount);
            path.Add(x);
        }
        return path;
    }

    /// <summary>The copath: the sibling of the node and of each ancestor below the root.</summary>
    public static List<NodeIndex> Copath(NodeIndex x, uint leafCount)
    {
        var root = Root(leafCount);
        var copath = new List<NodeIndex>();
        while (x != root)
        {
            copath.Add(Sibling(x, leafCount));
            x = Parent(x, leafCount);
        }
        return copath;
    }

    /// <summary>Whether <paramref name="ancestor"/> is an ancestor of (or equal to) <paramref name="x"/>.</summary>
    public static bool IsInSubtree(NodeIndex ancestor, NodeIndex x)
    {
        // The nodes sharing the ancestor's bits above its level are its subtree plus one node above it
        // (its parent or an uncle), which the level comparison leaves out. Shift as 64-bit values: below the
        // root of a 2^31-leaf tree k + 1 is 32, which a 32-bit shift would take modulo 32 (as a shift by 0).
        int k = Level(ancestor);
        return Level(x) <= k && ((ulong)x.Value >> (k + 1)) == ((ulong)ancestor.Value >> (k + 1));
    }

    /// <summary>The lowest common ancestor of two nodes.</summary>
    public static NodeIndex CommonAncestor(NodeIndex x, NodeIndex y)
    {
        // One node may be an ancestor of the other (RFC 9420 Appendix C, common_ancestor_direct).
        // 64-bit shifts, as in IsInSubtree: a shift can reach 32 in a 2^31-leaf tree.
        int lx = Level(x) + 1, ly = Level(y) + 1;
        ulong xv = x.Value, yv = y.Value;
        if (lx <= ly && (xv >> ly) == (yv >> ly))
        {
            return y;
        }
        if (ly <= lx && (xv >> lx) == (yv >> lx))
        {
            return x;
        }
        int k = 0;
        while (xv != yv)
        {
            xv >>= 1;
            yv >>= 1;
            k++;
        }
        return new((uint)((xv << k) + (1UL << (k - 1)) - 1));
    }

    private static int Log2(uint x) => x == 0 ? 0 : BitOperations.Log2(x);
}
