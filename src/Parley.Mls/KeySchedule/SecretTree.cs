// RFC 9420 §9 (secret tree), §9.1 (encryption keys), §9.2 (deletion schedule).
//
//   tree_node_[root]_secret          = encryption_secret
//   tree_node_[left(N)]_secret       = ExpandWithLabel(tree_node_[N]_secret, "tree", "left", KDF.Nh)
//   tree_node_[right(N)]_secret      = ExpandWithLabel(tree_node_[N]_secret, "tree", "right", KDF.Nh)
//   handshake_ratchet_secret_[N]_[0] = ExpandWithLabel(tree_node_[N]_secret, "handshake", "", KDF.Nh)
//   application_ratchet_secret_[N]_[0] = ExpandWithLabel(tree_node_[N]_secret, "application", "", KDF.Nh)
//
// Secrets are derived lazily along the path to the leaf asked for. A parent's secret is deleted
// as soon as both its children are derived, and a leaf's once its two ratchets are, so the tree
// holds a frontier of node secrets rather than all 2n - 1 of them.
using System.Numerics;
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Tree;

namespace Parley.Mls.KeySchedule;

/// <summary>The secret tree of an epoch: per-sender handshake and application ratchets whose keys
/// and nonces protect PrivateMessages. Keys are single-use: a generation can be obtained once, so a
/// replayed message fails. Receivers use <see cref="TryOpen"/>, which consumes a key only once the
/// message it opens has authenticated. Not thread-safe.</summary>
public sealed class SecretTree : IDisposable
{
    /// <summary>How far ahead of a ratchet a received generation may be.</summary>
    public const uint MaxForwardDistance = 1024;

    /// <summary>How many keys of skipped generations each ratchet keeps for late messages.</summary>
    public const int MaxSkippedKeys = 256;

    private static readonly byte[] Left = "left"u8.ToArray();
    private static readonly byte[] Right = "right"u8.ToArray();

    private readonly CipherSuite _suite;
    private readonly uint _fullLeafCount;
    private readonly NodeIndex _root;
    private readonly Dictionary<uint, byte[]> _nodeSecrets = new();
    // Keyed by leaf * 2 + (int)RatchetType; present once the leaf's secret has been expanded.
    private readonly Dictionary<uint, HashRatchet> _ratchets = new();
    private bool _disposed;

    /// <summary>Creates the secret tree rooted at <paramref name="encryptionSecret"/> for a ratchet tree of
    /// <paramref name="leafCount"/> leaves (a power of two in RFC 9420; other counts are laid out in the
    /// smallest full tree that holds them).</summary>
    public SecretTree(CipherSuite suite, ReadOnlySpan<byte> encryptionSecret, uint leafCount)
        : this(suite, leafCount)
    {
        if (encryptionSecret.Length != suite.HashLength)
        {
            throw new ArgumentException($"The encryption secret must be KDF.Nh = {suite.HashLength} bytes.", nameof(encryptionSecret));
        }
        _nodeSecrets[_root.Value] = encryptionSecret.ToArray();
    }

    private SecretTree(CipherSuite suite, uint leafCount)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (leafCount == 0 || leafCount > 1u << 31)
        {
            throw new ArgumentOutOfRangeException(nameof(leafCount), "A secret tree has between 1 and 2^31 leaves.");
        }
        _suite = suite;
        LeafCount = leafCount;
        _fullLeafCount = BitOperations.RoundUpToPowerOf2(leafCount);
        _root = TreeMath.Root(_fullLeafCount);
    }

    /// <summary>The number of leaves (senders) of the tree.</summary>
    public uint LeafCount { get; }

    /// <summary>The cipher suite the tree derives with.</summary>
    public CipherSuite Suite => _suite;

    /// <summary>Returns the key and nonce for the next message <paramref name="leaf"/> sends and moves
    /// its ratchet past them.</summary>
    public RatchetKey NextForSending(LeafIndex leaf, RatchetType type) => Ratchet(leaf, type).Next(leaf, type);

    /// <summary>Returns the key and nonce of <paramref name="generation"/> in <paramref name="leaf"/>'s
    /// ratchet, for decrypting a received message. Later generations ratchet forward (at most
    /// <see cref="MaxForwardDistance"/>), keeping skipped keys for late messages; a generation already
    /// handed out, evicted or never retained throws <see cref="MlsProtocolException"/>.</summary>
    /// <remarks>The key is consumed even if the message then fails to authenticate; prefer
    /// <see cref="TryOpen"/> for received messages.</remarks>
    public RatchetKey GetForReceiving(LeafIndex leaf, RatchetType type, uint generation)
        => Ratchet(leaf, type).Get(generation, leaf, type);

    /// <summary>Passes the key and nonce of <paramref name="generation"/> in <paramref name="leaf"/>'s ratchet
    /// to <paramref name="use"/> (typically an AEAD open) without changing the tree, and consumes them only
    /// when <paramref name="use"/> returns true: a retained key is deleted, or the ratchet moves past the
    /// generation, retaining the keys it skips (RFC 9420 §9.2). When <paramref name="use"/> returns false or
    /// throws, the tree is exactly as before, so a forged or tampered message cannot burn the genuine
    /// message's key, advance a ratchet or evict retained keys. Returns what <paramref name="use"/> returned.
    /// The key is disposed when this returns, so <paramref name="use"/> must not keep it, nor call back into
    /// the tree. A generation already used, evicted or more than <see cref="MaxForwardDistance"/> ahead throws
    /// <see cref="MlsProtocolException"/> without calling <paramref name="use"/>.</summary>
    public bool TryOpen(LeafIndex leaf, RatchetType type, uint generation, Func<RatchetKey, bool> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        uint key = RatchetKeyOf(leaf, type);
        if (_ratchets.TryGetValue(key, out var ratchet))
        {
            return ratchet.TryOpen(generation, leaf, type, use);
        }

        // The leaf's ratchets are not derived yet. Deriving them deletes node secrets, so try the key on a
        // transient ratchet first and expand the tree only once the message has authenticated.
        HashRatchet? transient = new(_suite, DeriveRatchetSecret(leaf, type));
        try
        {
            if (!transient.TryOpen(generation, leaf, type, use))
            {
                return false;
            }
            ExpandLeaf(leaf);
            _ratchets[key].Dispose();
            _ratchets[key] = transient;
            transient = null;
            return true;
        }
        finally
        {
            transient?.Dispose();
        }
    }

    /// <summary>The next generation <paramref name="leaf"/>'s ratchet would hand out.</summary>
    public uint NextGeneration(LeafIndex leaf, RatchetType type) => Ratchet(leaf, type).Generation;

    /// <summary>How many node secrets are held (the frontier of derived, unexpanded nodes).</summary>
    internal int StoredNodeSecretCount => _nodeSecrets.Count;

    /// <summary>Writes the tree's state (node secrets, ratchets and retained keys) for persisting group
    /// state. The writer then holds secrets: the caller must <see cref="TlsWriter.Clear"/> it when done.</summary>
    public void Encode(TlsWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ObjectDisposedException.ThrowIf(_disposed, this);
        writer.WriteUInt16(_suite.Id);
        writer.WriteUInt32(LeafCount);
        writer.WriteVector(w =>
        {
            foreach (uint node in _nodeSecrets.Keys.Order())
            {
                w.WriteUInt32(node);
                w.WriteOpaque(_nodeSecrets[node]);
            }
        });
        writer.WriteVector(w =>
        {
            foreach (uint key in _ratchets.Keys.Order())
            {
                w.WriteUInt32(key >> 1);
                w.WriteUInt8((byte)(key & 1));
                _ratchets[key].Encode(w);
            }
        });
    }

    /// <summary>Restores a tree written by <see cref="Encode"/>; throws <see cref="MlsDecodeException"/>
    /// when the input is malformed or belongs to another cipher suite.</summary>
    public static SecretTree Decode(TlsReader reader, CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(suite);
        ushort id = reader.ReadUInt16();
        if (id != suite.Id)
        {
            throw new MlsDecodeException($"The stored secret tree is for cipher suite {id}, expected {suite.Id}.");
        }
        uint leafCount = reader.ReadUInt32();
        if (leafCount == 0 || leafCount > 1u << 31)
        {
            throw new MlsDecodeException($"A stored secret tree cannot have {leafCount} leaves.");
        }
        var tree = new SecretTree(suite, leafCount);
        try
        {
            uint width = TreeMath.NodeWidth(tree._fullLeafCount);
            reader.ReadVector(r =>
            {
                while (!r.AtEnd)
                {
                    uint node = r.ReadUInt32();
                    byte[] secret = r.ReadOpaque();
                    if (node >= width || secret.Length != suite.HashLength || !tree._nodeSecrets.TryAdd(node, secret))
                    {
                        CryptographicOperations.ZeroMemory(secret);
                        throw new MlsDecodeException($"Stored secret of node {node} is invalid or repeated.");
                    }
                }
                return true;
            });
            reader.ReadVector(r =>
            {
                while (!r.AtEnd)
                {
                    uint leaf = r.ReadUInt32();
                    byte type = r.ReadUInt8();
                    if (leaf >= leafCount || type > 1)
                    {
                        throw new MlsDecodeException($"Stored ratchet for leaf {leaf}, type {type} is out of range.");
                    }
                    var ratchet = HashRatchet.Decode(r, suite);
                    if (!tree._ratchets.TryAdd(leaf * 2 + type, ratchet))
                    {
                        ratchet.Dispose();
                        throw new MlsDecodeException($"Stored ratchet for leaf {leaf} is repeated.");
                    }
                }
                return true;
            });
            foreach (uint key in tree._ratchets.Keys)
            {
                if (!tree._ratchets.ContainsKey(key ^ 1))
                {
                    throw new MlsDecodeException($"Stored ratchets of leaf {key >> 1} are incomplete.");
                }
            }
            return tree;
        }
        catch
        {
            tree.Dispose();
            throw;
        }
    }

    /// <summary>Zeroes every node secret, ratchet secret and retained key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (byte[] secret in _nodeSecrets.Values)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
        _nodeSecrets.Clear();
        foreach (var ratchet in _ratchets.Values)
        {
            ratchet.Dispose();
        }
        _ratchets.Clear();
    }

    public override string ToString() => $"SecretTree({LeafCount} leaves, suite {_suite.Id})";

    private HashRatchet Ratchet(LeafIndex leaf, RatchetType type)
    {
        uint key = RatchetKeyOf(leaf, type);
        if (!_ratchets.TryGetValue(key, out var ratchet))
        {
            ExpandLeaf(leaf);
            ratchet = _ratchets[key];
        }
        return ratchet;
    }

    private uint RatchetKeyOf(LeafIndex leaf, RatchetType type)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (leaf.Value >= LeafCount)
        {
            throw new MlsProtocolException(MlsError.SecretTreeLeafOutside, $"{leaf} is outside the secret tree of {LeafCount} leaves.");
        }
        if (type is not (RatchetType.Handshake or RatchetType.Application))
        {
            throw new ArgumentOutOfRangeException(nameof(type));
        }
        return leaf.Value * 2 + (uint)type;
    }

    // The lowest ancestor of the leaf (or the leaf itself) whose secret is stored.
    private NodeIndex LowestStoredAncestor(LeafIndex leaf)
    {
        var node = leaf.Node;
        while (!_nodeSecrets.ContainsKey(node.Value))
        {
            if (node == _root)
            {
                throw new MlsProtocolException(MlsError.GenerationUnavailable, $"The secrets of {leaf} are no longer available.");
            }
            node = TreeMath.Parent(node, _fullLeafCount);
        }
        return node;
    }

    // The first secret of one of the leaf's ratchets, derived along the path from the lowest stored
    // ancestor without storing or deleting anything.
    private byte[] DeriveRatchetSecret(LeafIndex leaf, RatchetType type)
    {
        var target = leaf.Node;
        var node = LowestStoredAncestor(leaf);
        int nh = _suite.HashLength;
        byte[] secret = _nodeSecrets[node.Value];
        byte[]? derived = null;
        try
        {
            while (node != target)
            {
                bool left = target.Value < node.Value;
                node = left ? TreeMath.Left(node) : TreeMath.Right(node);
                byte[] child = _suite.ExpandWithLabel(secret, "tree", left ? Left : Right, nh);
                if (derived is not null)
                {
                    CryptographicOperations.ZeroMemory(derived);
                }
                secret = derived = child;
            }
            return _suite.ExpandWithLabel(secret, type == RatchetType.Handshake ? "handshake" : "application", ReadOnlySpan<byte>.Empty, nh);
        }
        finally
        {
            if (derived is not null)
            {
                CryptographicOperations.ZeroMemory(derived);
            }
        }
    }

    // Derives the node secrets from the lowest stored ancestor down to the leaf, deleting each
    // parent once both its children exist, then the leaf's two ratchets, deleting the leaf secret.
    private void ExpandLeaf(LeafIndex leaf)
    {
        var target = leaf.Node;
        var node = LowestStoredAncestor(leaf);
        int nh = _suite.HashLength;
        while (node != target)
        {
            _nodeSecrets.Remove(node.Value, out byte[]? secret);
            var left = TreeMath.Left(node);
            var right = TreeMath.Right(node);
            _nodeSecrets[left.Value] = _suite.ExpandWithLabel(secret, "tree", Left, nh);
            _nodeSecrets[right.Value] = _suite.ExpandWithLabel(secret, "tree", Right, nh);
            CryptographicOperations.ZeroMemory(secret);
            node = target.Value < node.Value ? left : right;
        }

        _nodeSecrets.Remove(target.Value, out byte[]? leafSecret);
        uint key = leaf.Value * 2;
        _ratchets[key + (uint)RatchetType.Handshake] =
            new HashRatchet(_suite, _suite.ExpandWithLabel(leafSecret, "handshake", ReadOnlySpan<byte>.Empty, nh));
        _ratchets[key + (uint)RatchetType.Application] =
            new HashRatchet(_suite, _suite.ExpandWithLabel(leafSecret, "application", ReadOnlySpan<byte>.Empty, nh));
        CryptographicOperations.ZeroMemory(leafSecret);
    }
}
