// RFC 9420 §4.2 (views of a ratchet tree: the tree invariant) and §7.4 (node key pairs derived
// from path secrets): the HPKE private keys one member holds for its leaf and its direct path.
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Tree;

/// <summary>The HPKE private keys a member holds: its own leaf's and those of the parent nodes on
/// its direct path whose path secrets it learned. Keys are wiped when replaced, removed or disposed.</summary>
public sealed class TreePrivateKeys : IDisposable
{
    private readonly SortedDictionary<uint, byte[]> _keys = new();
    private bool _disposed;

    /// <summary>Creates an empty store for the member at <paramref name="ownLeaf"/>.</summary>
    public TreePrivateKeys(LeafIndex ownLeaf) => OwnLeaf = ownLeaf;

    /// <summary>The member's own leaf.</summary>
    public LeafIndex OwnLeaf { get; }

    /// <summary>The number of nodes whose private key is held.</summary>
    public int Count => _keys.Count;

    /// <summary>The nodes whose private key is held, in ascending order.</summary>
    public IEnumerable<NodeIndex> Nodes => _keys.Keys.Select(k => new NodeIndex(k)).ToArray();

    /// <summary>Whether the private key of <paramref name="node"/> is held.</summary>
    public bool Contains(NodeIndex node) => _keys.ContainsKey(node.Value);

    /// <summary>Stores a copy of <paramref name="privateKey"/> for <paramref name="node"/>, wiping any
    /// key it replaces. Only the own leaf and its ancestors may hold keys (the tree invariant).</summary>
    public void SetPrivateKey(NodeIndex node, ReadOnlySpan<byte> privateKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!TreeMath.IsInSubtree(node, OwnLeaf.Node))
        {
            throw new ArgumentException($"{node} is not on the direct path of {OwnLeaf}.", nameof(node));
        }
        Remove(node);
        _keys[node.Value] = privateKey.ToArray();
    }

    /// <summary>Derives the node key pair from <paramref name="pathSecret"/> (RFC 9420 §7.4), stores
    /// its private key for <paramref name="node"/> and returns the public key.</summary>
    public byte[] SetFromPathSecret(CipherSuite suite, NodeIndex node, ReadOnlySpan<byte> pathSecret)
    {
        var pair = TreeKem.DeriveNodeKeyPair(suite, pathSecret);
        try
        {
            SetPrivateKey(node, pair.PrivateKey);
            return pair.PublicKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pair.PrivateKey);
        }
    }

    /// <summary>Returns a copy of the private key of <paramref name="node"/>; the caller wipes it.</summary>
    public byte[] ExportPrivateKey(NodeIndex node)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _keys.TryGetValue(node.Value, out var key)
            ? key.ToArray()
            : throw new KeyNotFoundException($"No private key is held for {node}.");
    }

    /// <summary>The stored key, without copying (internal use only; never hand it out).</summary>
    internal bool TryGet(NodeIndex node, out byte[] key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_keys.TryGetValue(node.Value, out var k))
        {
            key = k;
            return true;
        }
        key = [];
        return false;
    }

    /// <summary>Wipes and forgets the key of <paramref name="node"/>, if held.</summary>
    public void Remove(NodeIndex node)
    {
        if (_keys.Remove(node.Value, out var old))
        {
            CryptographicOperations.ZeroMemory(old);
        }
    }

    /// <summary>Forgets keys the tree no longer uses: those of blank nodes and of nodes outside the
    /// tree (after truncation). Call after applying proposals that blank paths.</summary>
    public void Prune(RatchetTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        foreach (uint n in _keys.Keys.ToArray())
        {
            if (n >= tree.NodeCount || tree.IsBlank(new NodeIndex(n)))
            {
                Remove(new NodeIndex(n));
            }
        }
    }

    /// <summary>Whether every held key belongs to a non-blank node of <paramref name="tree"/> whose
    /// public key matches it.</summary>
    public bool IsConsistentWith(RatchetTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        foreach (var (n, key) in _keys)
        {
            var node = new NodeIndex(n);
            if (n >= tree.NodeCount || tree.IsBlank(node))
            {
                return false;
            }
            byte[] expected = tree.EncryptionKeyOf(node);
            byte[] actual;
            try
            {
                actual = tree.Suite.Hpke.PublicKeyFromPrivate(key);
            }
            catch (Exception e) when (e is CryptographicException or MlsException or ArgumentException)
            {
                return false;
            }
            if (!actual.AsSpan().SequenceEqual(expected))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Returns an independent copy.</summary>
    public TreePrivateKeys Clone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var copy = new TreePrivateKeys(OwnLeaf);
        foreach (var (n, key) in _keys)
        {
            copy._keys[n] = key.ToArray();
        }
        return copy;
    }

    /// <summary>Replaces this store's keys with those of <paramref name="other"/> (which is emptied),
    /// wiping the keys replaced. Used to commit a change made on a clone.</summary>
    public void TakeFrom(TreePrivateKeys other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (other.OwnLeaf != OwnLeaf)
        {
            throw new ArgumentException("The key stores belong to different leaves.", nameof(other));
        }
        foreach (var key in _keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
        _keys.Clear();
        foreach (var (n, key) in other._keys)
        {
            _keys[n] = key;
        }
        other._keys.Clear();
    }

    /// <summary>Serializes the store for group state persistence: <c>uint32 own_leaf;
    /// struct { uint32 node; opaque private_key&lt;V&gt;; } keys&lt;V&gt;</c>. The result is secret:
    /// the caller wipes it.</summary>
    public byte[] Encode()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Sized up front so the writer never reallocates and leaves an unwiped copy behind.
        int size = 4 + 4;
        foreach (var key in _keys.Values)
        {
            size += 4 + 4 + key.Length;
        }
        var w = new TlsWriter(size + 16);
        try
        {
            w.WriteUInt32(OwnLeaf.Value);
            w.WriteVector(w2 =>
            {
                foreach (var (n, key) in _keys)
                {
                    w2.WriteUInt32(n);
                    w2.WriteOpaque(key);
                }
            });
            return w.ToArray();
        }
        finally
        {
            w.Clear();
        }
    }

    /// <summary>Reads a store written by <see cref="Encode"/>.</summary>
    public static TreePrivateKeys Decode(ReadOnlyMemory<byte> data)
    {
        var r = new TlsReader(data);
        var store = new TreePrivateKeys(new LeafIndex(r.ReadUInt32()));
        try
        {
            r.ReadVector(inner =>
            {
                long previous = -1;
                while (!inner.AtEnd)
                {
                    var node = new NodeIndex(inner.ReadUInt32());
                    byte[] key = inner.ReadOpaque();
                    try
                    {
                        if (!TreeMath.IsInSubtree(node, store.OwnLeaf.Node))
                        {
                            throw new MlsDecodeException($"Stored private key for {node} does not belong to {store.OwnLeaf}.");
                        }
                        // Encode writes the nodes in ascending order; any other order (or a repeat) is not its output,
                        // and accepting it would give one store two encodings.
                        if (node.Value <= previous)
                        {
                            throw new MlsDecodeException("Stored private keys are not in ascending node order.");
                        }
                        previous = node.Value;
                        store.SetPrivateKey(node, key);
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(key);
                    }
                }
                return 0;
            });
            r.EnsureEnd();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Wipes every key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        foreach (var key in _keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
        _keys.Clear();
        _disposed = true;
    }

    public override string ToString() => $"TreePrivateKeys({OwnLeaf}, {_keys.Count} keys)";
}
