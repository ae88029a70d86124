// RFC 9420 §7.4-§7.6 and §12.4.2 (creating a commit's UpdatePath): the committer's side of TreeKEM,
// in two phases because path secrets are encrypted under the provisional GroupContext, whose
// tree hash is that of the tree with the path already applied.
using System.Security.Cryptography;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Tree;

/// <summary>A committer's new path, applied to a copy of the tree but not yet encrypted: read
/// <see cref="Tree"/>'s tree hash, build the provisional GroupContext, then call <see cref="Encrypt"/>.
/// Holds the path secrets until disposed.</summary>
public sealed class PreparedUpdatePath : IDisposable
{
    // Below this many encryptions the work is not worth spreading over threads.
    private const int ParallelThreshold = 32;

    private readonly byte[][] _pathSecrets;
    private readonly byte[] _commitSecret;
    private TreePrivateKeys? _privateKeys;
    private bool _disposed;

    internal PreparedUpdatePath(RatchetTree tree, LeafIndex committer, LeafNode leafNode, List<NodeIndex> filteredDirectPath,
        byte[][] pathSecrets, byte[] commitSecret, TreePrivateKeys privateKeys)
    {
        Tree = tree;
        Committer = committer;
        LeafNode = leafNode;
        FilteredDirectPath = filteredDirectPath;
        _pathSecrets = pathSecrets;
        _commitSecret = commitSecret;
        _privateKeys = privateKeys;
    }

    /// <summary>The committer's leaf.</summary>
    public LeafIndex Committer { get; }

    /// <summary>The tree with the path merged: the committer's tree for the new epoch.</summary>
    public RatchetTree Tree { get; }

    /// <summary>The committer's new, signed leaf node (source commit, with its parent hash).</summary>
    public LeafNode LeafNode { get; }

    /// <summary>The committer's filtered direct path, one entry per UpdatePathNode.</summary>
    public IReadOnlyList<NodeIndex> FilteredDirectPath { get; }

    /// <summary>The UpdatePath, once <see cref="Encrypt"/> has run.</summary>
    public UpdatePath? Path { get; private set; }

    /// <summary>Encrypts each path secret to the resolution of its copath child, leaving out the
    /// members added by this commit (RFC 9420 §7.6), under the provisional <paramref name="groupContext"/>
    /// (the encoded GroupContext of the new epoch, whose tree hash is <see cref="Tree"/>'s).</summary>
    public UpdatePath Encrypt(ReadOnlySpan<byte> groupContext, IReadOnlyCollection<LeafIndex>? newMembers = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var suite = Tree.Suite;
        // One job per (path node, resolution node); large groups need thousands of HPKE encryptions.
        var resolutions = new List<NodeIndex>[FilteredDirectPath.Count];
        var ciphertexts = new HpkeCiphertext[FilteredDirectPath.Count][];
        var jobs = new List<(int Node, int Slot)>();
        for (int i = 0; i < resolutions.Length; i++)
        {
            resolutions[i] = Tree.Resolution(RatchetTree.CopathChild(FilteredDirectPath[i], Committer), newMembers);
            ciphertexts[i] = new HpkeCiphertext[resolutions[i].Count];
            for (int j = 0; j < resolutions[i].Count; j++)
            {
                jobs.Add((i, j));
            }
        }
        byte[] context = groupContext.ToArray();
        void Seal(int k)
        {
            var (i, j) = jobs[k];
            ciphertexts[i][j] = suite.EncryptWithLabel(Tree.EncryptionKeyOf(resolutions[i][j]), TreeKem.UpdatePathNodeLabel,
                context, _pathSecrets[i]);
        }
        if (jobs.Count < ParallelThreshold)
        {
            for (int k = 0; k < jobs.Count; k++)
            {
                Seal(k);
            }
        }
        else
        {
            try
            {
                Parallel.For(0, jobs.Count, Seal);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                throw;
            }
        }
        var nodes = new UpdatePathNode[FilteredDirectPath.Count];
        for (int i = 0; i < nodes.Length; i++)
        {
            nodes[i] = new UpdatePathNode(Tree.EncryptionKeyOf(FilteredDirectPath[i]), ciphertexts[i]);
        }
        Path = new UpdatePath(LeafNode, nodes);
        return Path;
    }

    /// <summary>Hands over the committer's private keys for the new epoch (its leaf and the nodes of
    /// its filtered direct path); the caller owns and disposes them. Can be called once.</summary>
    public TreePrivateKeys TakePrivateKeys()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var keys = _privateKeys ?? throw new InvalidOperationException("The private keys were already taken.");
        _privateKeys = null;
        return keys;
    }

    /// <summary>Returns a copy of the commit secret (the path secret one above the root, RFC 9420 §12.4.2);
    /// the caller wipes it.</summary>
    public byte[] ExportCommitSecret()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _commitSecret.ToArray();
    }

    /// <summary>Returns a copy of the path secret of the lowest common ancestor of the committer and
    /// <paramref name="newMember"/>, for that member's GroupSecrets (RFC 9420 §12.4.3.1); null when
    /// that node is not on the filtered direct path. The caller wipes it.</summary>
    public byte[]? ExportPathSecret(LeafIndex newMember)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (newMember == Committer)
        {
            return null;
        }
        var ancestor = TreeMath.CommonAncestor(Committer.Node, newMember.Node);
        for (int i = 0; i < FilteredDirectPath.Count; i++)
        {
            if (FilteredDirectPath[i] == ancestor)
            {
                return _pathSecrets[i].ToArray();
            }
        }
        return null;
    }

    /// <summary>Wipes the path secrets, the commit secret and any private keys not taken.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        foreach (var s in _pathSecrets)
        {
            CryptographicOperations.ZeroMemory(s);
        }
        CryptographicOperations.ZeroMemory(_commitSecret);
        _privateKeys?.Dispose();
        _privateKeys = null;
        _disposed = true;
    }

    public override string ToString() => $"PreparedUpdatePath({Committer}, {FilteredDirectPath.Count} nodes)";
}
