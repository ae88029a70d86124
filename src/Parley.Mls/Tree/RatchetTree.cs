// RFC 9420 §4 (ratchet tree concepts: nodes, resolution, direct path, copath, filtered direct path),
// §7.7 (adding and removing leaves: extending and truncating), §12.1.1-§12.1.3 (the tree effects of
// Add, Update and Remove) and §12.4.3.3 (the ratchet_tree extension encoding).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Tree;

/// <summary>The public state of a group's ratchet tree in array form: a perfect binary tree whose
/// leaves hold members' <see cref="LeafNode"/>s and whose parents hold <see cref="ParentNode"/>s;
/// null marks a blank node. Tree hashes are cached per node and recomputed only along changed paths.</summary>
public sealed partial class RatchetTree : IMlsEncodable
{
    private Node?[] _nodes;
    private uint _leafCount;

    // Every leaf below this index is non-blank, so the search for the leftmost blank leaf starts here.
    private uint _blankLeafHint;

    /// <summary>Creates the one-member tree of a new group (RFC 9420 §11).</summary>
    public RatchetTree(CipherSuite suite, LeafNode creator)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(creator);
        Suite = suite;
        _leafCount = 1;
        _nodes = [new Node(creator)];
        _treeHashes = new byte[]?[1];
        _blankLeafHint = 1;
    }

    private RatchetTree(CipherSuite suite, Node?[] nodes, uint leafCount, byte[]?[] treeHashes, uint blankLeafHint)
    {
        Suite = suite;
        _nodes = nodes;
        _leafCount = leafCount;
        _treeHashes = treeHashes;
        _blankLeafHint = blankLeafHint;
    }

    /// <summary>The cipher suite whose hash the tree hashes use.</summary>
    public CipherSuite Suite { get; }

    /// <summary>The number of leaves, blank or not; always a power of two.</summary>
    public uint LeafCount => _leafCount;

    /// <summary>The number of nodes in array form: 2 * <see cref="LeafCount"/> - 1.</summary>
    public uint NodeCount => (uint)_nodes.Length;

    /// <summary>The root node index.</summary>
    public NodeIndex Root => TreeMath.Root(_leafCount);

    /// <summary>The number of non-blank leaves (members).</summary>
    public int MemberCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _nodes.Length; i += 2)
            {
                if (_nodes[i] is not null)
                {
                    n++;
                }
            }
            return n;
        }
    }

    /// <summary>Returns an independent copy; nodes are immutable and shared, cached hashes are kept.</summary>
    public RatchetTree Clone()
        => new(Suite, (Node?[])_nodes.Clone(), _leafCount, (byte[]?[])_treeHashes.Clone(), _blankLeafHint);

    // ---- Node access ---------------------------------------------------------------------

    /// <summary>The node at <paramref name="node"/>, or null when it is blank.</summary>
    public Node? GetNode(NodeIndex node)
    {
        CheckNode(node);
        return _nodes[node.Value];
    }

    /// <summary>Whether the node is blank.</summary>
    public bool IsBlank(NodeIndex node) => GetNode(node) is null;

    /// <summary>The leaf node at <paramref name="leaf"/>, or null when the leaf is blank or
    /// beyond the right edge of the tree.</summary>
    public LeafNode? GetLeaf(LeafIndex leaf)
        => leaf.Value < _leafCount ? _nodes[leaf.Value * 2]?.Leaf : null;

    /// <summary>The parent node at <paramref name="node"/>, or null when it is blank.</summary>
    public ParentNode? GetParent(NodeIndex node)
    {
        CheckNode(node);
        if (node.IsLeaf)
        {
            throw new ArgumentException($"{node} is a leaf.", nameof(node));
        }
        return _nodes[node.Value]?.Parent;
    }

    /// <summary>The HPKE public key held by a non-blank node.</summary>
    public byte[] EncryptionKeyOf(NodeIndex node)
    {
        var n = GetNode(node) ?? throw new MlsProtocolException(MlsError.BlankNode, $"The ratchet tree has no key at blank {node}.");
        return n.Leaf?.EncryptionKey ?? n.Parent!.EncryptionKey;
    }

    /// <summary>Sets or blanks (null) a leaf; nothing else in the tree changes.</summary>
    public void SetLeaf(LeafIndex leaf, LeafNode? value)
    {
        CheckLeaf(leaf);
        SetNode(leaf.Node, value is null ? null : new Node(value));
    }

    /// <summary>Sets or blanks (null) a parent node; nothing else in the tree changes.</summary>
    public void SetParent(NodeIndex node, ParentNode? value)
    {
        CheckNode(node);
        if (node.IsLeaf)
        {
            throw new ArgumentException($"{node} is a leaf.", nameof(node));
        }
        SetNode(node, value is null ? null : new Node(value));
    }

    /// <summary>The non-blank leaves in index order.</summary>
    public IEnumerable<(LeafIndex Index, LeafNode Leaf)> EnumerateLeaves()
    {
        for (uint i = 0; i < _leafCount; i++)
        {
            if (_nodes[i * 2]?.Leaf is { } leaf)
            {
                yield return (new LeafIndex(i), leaf);
            }
        }
    }

    // ---- Adding and removing leaves (RFC 9420 §7.7, §12.1.1-§12.1.3) ------------------------

    /// <summary>Applies an Add (RFC 9420 §12.1.1): places <paramref name="leaf"/> in the leftmost blank
    /// leaf (extending the tree if there is none) and records it as unmerged at every non-blank
    /// parent on its direct path.</summary>
    public LeafIndex AddLeaf(LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var index = ReserveLeaf();
        uint root = Root.Value;
        var x = index.Node;
        while (x.Value != root)
        {
            x = TreeMath.Parent(x, _leafCount);
            if (_nodes[x.Value]?.Parent is { } parent)
            {
                SetNode(x, new Node(parent with { UnmergedLeaves = InsertSorted(parent.UnmergedLeaves, index) }));
            }
        }
        SetNode(index.Node, new Node(leaf));
        return index;
    }

    /// <summary>Returns the leftmost blank leaf, extending the tree to the right when every leaf is
    /// taken (an external joiner's leaf, RFC 9420 §12.4.3.2). The leaf stays blank.</summary>
    public LeafIndex ReserveLeaf()
    {
        for (uint i = _blankLeafHint; i < _leafCount; i++)
        {
            if (_nodes[i * 2] is null)
            {
                _blankLeafHint = i;
                return new LeafIndex(i);
            }
        }
        uint first = _leafCount;
        Extend();
        _blankLeafHint = first;
        return new LeafIndex(first);
    }

    /// <summary>Applies an Update (RFC 9420 §12.1.2): replaces the sender's leaf and blanks its direct path.</summary>
    public void UpdateLeaf(LeafIndex sender, LeafNode leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (GetLeaf(sender) is null)
        {
            throw new MlsProtocolException(MlsError.ProposalForNonMember, $"Update from {sender}, which is not a member.");
        }
        SetNode(sender.Node, new Node(leaf));
        BlankPath(sender);
    }

    /// <summary>Applies a Remove (RFC 9420 §12.1.3): blanks the leaf and its direct path, then
    /// truncates the tree while its right half is blank.</summary>
    public void RemoveLeaf(LeafIndex removed)
    {
        if (GetLeaf(removed) is null)
        {
            throw new MlsProtocolException(MlsError.ProposalForNonMember, $"Remove of {removed}, which is not a member.");
        }
        BlankLeaf(removed);
        Truncate();
    }

    /// <summary>Blanks a leaf and every parent node on its direct path, without truncating.</summary>
    public void BlankLeaf(LeafIndex leaf)
    {
        CheckLeaf(leaf);
        SetNode(leaf.Node, null);
        BlankPath(leaf);
    }

    /// <summary>Blanks every parent node on the direct path of <paramref name="leaf"/>.</summary>
    public void BlankPath(LeafIndex leaf)
    {
        CheckLeaf(leaf);
        uint root = Root.Value;
        var x = leaf.Node;
        while (x.Value != root)
        {
            x = TreeMath.Parent(x, _leafCount);
            if (_nodes[x.Value] is not null)
            {
                SetNode(x, null);
            }
        }
    }

    /// <summary>Removes the right half of the tree while it holds no non-blank leaf (RFC 9420 §7.7):
    /// with the rightmost member at leaf L the tree ends with 2^d leaves, 2^d &gt; L minimal.</summary>
    public void Truncate()
    {
        uint last = _leafCount;
        while (last > 0 && _nodes[(last - 1) * 2] is null)
        {
            last--;
        }
        // last is now the index of the rightmost member plus one (0 when there is none).
        uint size = _leafCount;
        while (size > 1 && size / 2 >= last)
        {
            size /= 2;
        }
        if (size == _leafCount)
        {
            return;
        }
        uint width = TreeMath.NodeWidth(size);
        Array.Resize(ref _nodes, (int)width);
        Array.Resize(ref _treeHashes, (int)width);
        _leafCount = size;
        _blankLeafHint = Math.Min(_blankLeafHint, size);
    }

    // Doubles the leaf count: a new blank root whose left subtree is the old tree (RFC 9420 §7.7).
    private void Extend()
    {
        if (_leafCount >= 1u << 30)
        {
            throw new MlsProtocolException(MlsError.TreeTooLarge, "The ratchet tree cannot grow beyond 2^30 leaves.");
        }
        uint size = _leafCount * 2;
        uint width = TreeMath.NodeWidth(size);
        Array.Resize(ref _nodes, (int)width);
        // Hashes of the old nodes stay valid: their subtrees and leaf indices are unchanged.
        Array.Resize(ref _treeHashes, (int)width);
        _leafCount = size;
    }

    private static LeafIndex[] InsertSorted(IReadOnlyList<LeafIndex> list, LeafIndex value)
    {
        // Kept in ascending order, as other implementations do, so tree hashes agree.
        var result = new List<LeafIndex>(list.Count + 1);
        bool inserted = false;
        foreach (var x in list)
        {
            if (!inserted && value.Value <= x.Value)
            {
                inserted = true;
                // An entry already listed (only in an invalid tree) is kept once.
                if (value != x)
                {
                    result.Add(value);
                }
            }
            result.Add(x);
        }
        if (!inserted)
        {
            result.Add(value);
        }
        return result.ToArray();
    }

    // ---- Paths and resolutions (RFC 9420 §4.1.1, §4.1.2) -------------------------------------

    /// <summary>The resolution of a node (RFC 9420 §4.1.1): the nearest non-blank nodes below it,
    /// left first, each parent followed by its unmerged leaves. Leaves in <paramref name="excluding"/>
    /// (members added by the current commit) are left out.</summary>
    public List<NodeIndex> Resolution(NodeIndex node, IReadOnlyCollection<LeafIndex>? excluding = null)
    {
        CheckNode(node);
        var result = new List<NodeIndex>();
        AppendResolution(node, result, int.MaxValue);
        if (excluding is { Count: > 0 })
        {
            var set = excluding as ISet<LeafIndex> ?? new HashSet<LeafIndex>(excluding);
            result.RemoveAll(n => n.IsLeaf && set.Contains(n.Leaf));
        }
        return result;
    }

    /// <summary>Appends the resolution of <paramref name="x"/>; stops and returns false once the list
    /// holds more than <paramref name="limit"/> entries.</summary>
    internal bool AppendResolution(NodeIndex x, List<NodeIndex> into, int limit)
    {
        var node = _nodes[x.Value];
        if (node is not null)
        {
            into.Add(x);
            if (node.Parent is { } parent)
            {
                foreach (var u in parent.UnmergedLeaves)
                {
                    into.Add(u.Node);
                }
            }
            return into.Count <= limit;
        }
        if (x.IsLeaf)
        {
            return true;
        }
        return AppendResolution(TreeMath.Left(x), into, limit) && AppendResolution(TreeMath.Right(x), into, limit);
    }

    /// <summary>Whether every node in the subtree under <paramref name="x"/> is blank, i.e. its resolution is empty.</summary>
    public bool IsSubtreeBlank(NodeIndex x)
    {
        CheckNode(x);
        uint half = (1u << TreeMath.Level(x)) - 1;
        var span = _nodes.AsSpan((int)(x.Value - half), (int)(2 * half + 1));
        foreach (var n in span)
        {
            if (n is not null)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The direct path of a leaf: its ancestors from its parent up to the root.</summary>
    public List<NodeIndex> DirectPath(LeafIndex leaf)
    {
        CheckLeaf(leaf);
        return TreeMath.DirectPath(leaf.Node, _leafCount);
    }

    /// <summary>The filtered direct path of a leaf (RFC 9420 §4.1.2): its direct path without the
    /// nodes whose child on the leaf's copath has an empty resolution.</summary>
    public List<NodeIndex> FilteredDirectPath(LeafIndex leaf)
    {
        CheckLeaf(leaf);
        var result = new List<NodeIndex>();
        uint root = Root.Value;
        var x = leaf.Node;
        while (x.Value != root)
        {
            var p = TreeMath.Parent(x, _leafCount);
            var sibling = x.Value < p.Value ? TreeMath.Right(p) : TreeMath.Left(p);
            if (!IsSubtreeBlank(sibling))
            {
                result.Add(p);
            }
            x = p;
        }
        return result;
    }

    /// <summary>The copath children of the nodes of <see cref="FilteredDirectPath"/>, in the same order:
    /// the subtrees a path secret is encrypted to.</summary>
    public List<NodeIndex> FilteredCopath(LeafIndex leaf)
        => FilteredDirectPath(leaf).ConvertAll(p => CopathChild(p, leaf));

    /// <summary>The child of <paramref name="ancestor"/> that is not on the path to <paramref name="leaf"/>
    /// (the copath child through which path secrets for <paramref name="ancestor"/> are encrypted).</summary>
    public static NodeIndex CopathChild(NodeIndex ancestor, LeafIndex leaf)
    {
        var left = TreeMath.Left(ancestor);
        return TreeMath.IsInSubtree(left, leaf.Node) ? TreeMath.Right(ancestor) : left;
    }

    // ---- Lookup -----------------------------------------------------------------------------

    /// <summary>The leaf whose signature key is <paramref name="signatureKey"/>, if any.</summary>
    public LeafIndex? FindLeafBySignatureKey(ReadOnlySpan<byte> signatureKey)
    {
        for (uint i = 0; i < _leafCount; i++)
        {
            if (_nodes[i * 2]?.Leaf is { } leaf && leaf.SignatureKey.AsSpan().SequenceEqual(signatureKey))
            {
                return new LeafIndex(i);
            }
        }
        return null;
    }

    /// <summary>The leaf whose encryption key is <paramref name="encryptionKey"/>, if any.</summary>
    public LeafIndex? FindLeafByEncryptionKey(ReadOnlySpan<byte> encryptionKey)
    {
        for (uint i = 0; i < _leafCount; i++)
        {
            if (_nodes[i * 2]?.Leaf is { } leaf && leaf.EncryptionKey.AsSpan().SequenceEqual(encryptionKey))
            {
                return new LeafIndex(i);
            }
        }
        return null;
    }

    /// <summary>The leaf holding a leaf node identical to <paramref name="leafNode"/> (a joiner finding
    /// its own leaf, RFC 9420 §12.4.3.1), if any.</summary>
    public LeafIndex? FindLeaf(LeafNode leafNode)
    {
        ArgumentNullException.ThrowIfNull(leafNode);
        for (uint i = 0; i < _leafCount; i++)
        {
            if (_nodes[i * 2]?.Leaf is { } leaf && leaf.Equals(leafNode))
            {
                return new LeafIndex(i);
            }
        }
        return null;
    }

    /// <summary>Whether any node, leaf or parent, holds <paramref name="encryptionKey"/>.</summary>
    public bool ContainsEncryptionKey(ReadOnlySpan<byte> encryptionKey)
    {
        foreach (var n in _nodes)
        {
            if (n is not null && (n.Leaf?.EncryptionKey ?? n.Parent!.EncryptionKey).AsSpan().SequenceEqual(encryptionKey))
            {
                return true;
            }
        }
        return false;
    }

    // ---- The ratchet_tree extension (RFC 9420 §12.4.3.3) -----------------------------------

    /// <summary>The nodes in array order without the blank nodes after the last non-blank one.</summary>
    public IReadOnlyList<Node?> ToNodeList()
    {
        int end = _nodes.Length;
        while (end > 0 && _nodes[end - 1] is null)
        {
            end--;
        }
        return _nodes.AsSpan(0, end).ToArray();
    }

    /// <summary>Writes <c>optional&lt;Node&gt; ratchet_tree&lt;V&gt;</c>.</summary>
    public void Encode(TlsWriter writer) => RatchetTreeExtension.Encode(writer, ToNodeList());

    /// <summary>Reads a ratchet_tree extension value and pads it to a full tree.</summary>
    public static RatchetTree Decode(CipherSuite suite, ReadOnlyMemory<byte> data)
        => FromNodes(suite, RatchetTreeExtension.Decode(data));

    /// <summary>Reads a ratchet_tree extension value and pads it to a full tree.</summary>
    public static RatchetTree Decode(CipherSuite suite, TlsReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return FromNodes(suite, RatchetTreeExtension.Decode(reader));
    }

    /// <summary>Builds a tree from nodes in array order, extending it with blank nodes to the next
    /// full width. Leaves must sit at even positions and parents at odd ones, and the last node
    /// must be non-blank.</summary>
    public static RatchetTree FromNodes(CipherSuite suite, IReadOnlyList<Node?> nodes)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0 || nodes[^1] is null)
        {
            throw new MlsDecodeException("A ratchet tree must end with a non-blank node.");
        }
        if (nodes.Count > (int)TreeMath.NodeWidth(1u << 30))
        {
            throw new MlsDecodeException("The ratchet tree is too large.");
        }
        uint leafCount = 1;
        while (TreeMath.NodeWidth(leafCount) < nodes.Count)
        {
            leafCount *= 2;
        }
        var array = new Node?[TreeMath.NodeWidth(leafCount)];
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (n is not null && (n.Type == NodeType.Leaf) != (i % 2 == 0))
            {
                throw new MlsDecodeException($"Ratchet tree node {i} has the wrong type ({n.Type}).");
            }
            array[i] = n;
        }
        return new RatchetTree(suite, array, leafCount, new byte[]?[array.Length], 0);
    }

    public override string ToString() => $"RatchetTree({MemberCount} members, {_leafCount} leaves)";

    // ---- Internals ----------------------------------------------------------------------------

    private void SetNode(NodeIndex node, Node? value)
    {
        _nodes[node.Value] = value;
        if (value is null && node.IsLeaf)
        {
            _blankLeafHint = Math.Min(_blankLeafHint, node.Value / 2);
        }
        InvalidateTreeHash(node);
    }

    private void CheckNode(NodeIndex node)
    {
        if (node.Value >= (uint)_nodes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(node), $"{node} is outside a tree of {_nodes.Length} nodes.");
        }
    }

    private void CheckLeaf(LeafIndex leaf)
    {
        if (leaf.Value >= _leafCount)
        {
            throw new ArgumentOutOfRangeException(nameof(leaf), $"{leaf} is outside a tree of {_leafCount} leaves.");
        }
    }
}
