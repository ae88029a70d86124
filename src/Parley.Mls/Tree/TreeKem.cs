// RFC 9420 §7.4 (ratchet tree evolution: path secrets and node key pairs), §7.5 (synchronizing views
// of the tree: merging and decrypting an UpdatePath), §7.6 (update paths), §12.4.1-§12.4.2 (a
// commit's path and commit_secret) and §12.4.3.1 (a joiner's path_secret from the Welcome).
//
//   path_secret[0] = DeriveSecret(leaf_secret, "path"); path_secret[n] = DeriveSecret(path_secret[n-1], "path")
//   node_secret[n] = DeriveSecret(path_secret[n], "node"); node key pair = KEM.DeriveKeyPair(node_secret[n])
//   commit_secret  = DeriveSecret(path_secret[last], "path")
using System.Security.Cryptography;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Tree;

/// <summary>TreeKEM: creating a committer's UpdatePath and processing a received one. Everything
/// that fails validation throws <see cref="MlsProtocolException"/> and changes neither the tree
/// nor the private keys passed in.</summary>
public static class TreeKem
{
    internal const string UpdatePathNodeLabel = "UpdatePathNode";

    /// <summary>Phase one of creating a commit's path (RFC 9420 §7.4, §7.5): on a copy of
    /// <paramref name="tree"/> (with the commit's proposals already applied), blanks the committer's
    /// direct path, sets fresh keys and parent hashes on its filtered direct path, and sets its new
    /// leaf node: <paramref name="leafTemplate"/> with a fresh encryption key, source commit and the
    /// parent hash, signed with <paramref name="signaturePrivateKey"/> for <paramref name="groupId"/>.</summary>
    public static PreparedUpdatePath PrepareUpdatePath(RatchetTree tree, LeafIndex committer, LeafNode leafTemplate,
        ReadOnlySpan<byte> signaturePrivateKey, byte[] groupId)
    {
        ArgumentNullException.ThrowIfNull(tree);
        byte[] leafSecret = RandomNumberGenerator.GetBytes(tree.Suite.HashLength);
        try
        {
            return PrepareUpdatePath(tree, committer, leafTemplate, signaturePrivateKey, groupId, leafSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(leafSecret);
        }
    }

    /// <summary>Creates a commit's path in one call: prepares it, asks <paramref name="groupContextForTreeHash"/>
    /// for the encoded provisional GroupContext given the new tree hash, and encrypts.</summary>
    public static PreparedUpdatePath CreateUpdatePath(RatchetTree tree, LeafIndex committer, LeafNode leafTemplate,
        ReadOnlySpan<byte> signaturePrivateKey, byte[] groupId, IReadOnlyCollection<LeafIndex>? newMembers,
        Func<byte[], byte[]> groupContextForTreeHash)
    {
        ArgumentNullException.ThrowIfNull(groupContextForTreeHash);
        var prepared = PrepareUpdatePath(tree, committer, leafTemplate, signaturePrivateKey, groupId);
        try
        {
            prepared.Encrypt(groupContextForTreeHash(prepared.Tree.TreeHash()), newMembers);
            return prepared;
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    /// <summary><see cref="PrepareUpdatePath(RatchetTree, LeafIndex, LeafNode, ReadOnlySpan{byte}, byte[])"/>
    /// with a chosen leaf secret (tests).</summary>
    internal static PreparedUpdatePath PrepareUpdatePath(RatchetTree tree, LeafIndex committer, LeafNode leafTemplate,
        ReadOnlySpan<byte> signaturePrivateKey, byte[] groupId, ReadOnlySpan<byte> leafSecret)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(leafTemplate);
        ArgumentNullException.ThrowIfNull(groupId);
        if (committer.Value >= tree.LeafCount)
        {
            throw new ArgumentOutOfRangeException(nameof(committer), $"{committer} is outside the tree.");
        }
        var suite = tree.Suite;
        var next = tree.Clone();
        next.BlankPath(committer);
        var path = next.FilteredDirectPath(committer);

        var keys = new TreePrivateKeys(committer);
        var pathSecrets = new byte[path.Count][];
        byte[]? commitSecret = null;
        try
        {
            var leafPair = DeriveNodeKeyPair(suite, leafSecret);
            keys.SetPrivateKey(committer.Node, leafPair.PrivateKey);
            CryptographicOperations.ZeroMemory(leafPair.PrivateKey);

            ReadOnlySpan<byte> previous = leafSecret;
            for (int i = 0; i < path.Count; i++)
            {
                pathSecrets[i] = suite.DeriveSecret(previous, "path");
                previous = pathSecrets[i];
                byte[] publicKey = keys.SetFromPathSecret(suite, path[i], pathSecrets[i]);
                next.SetParent(path[i], new ParentNode(publicKey, [], []));
            }
            commitSecret = suite.DeriveSecret(previous, "path");

            byte[] parentHash = ParentHash.SetAlongPath(next, committer, path);
            var leaf = (leafTemplate with
            {
                EncryptionKey = leafPair.PublicKey,
                Source = LeafNodeSource.Commit,
                Lifetime = null,
                ParentHash = parentHash,
                Signature = [],
            }).Sign(suite, signaturePrivateKey, groupId, committer);
            next.SetLeaf(committer, leaf);
            return new PreparedUpdatePath(next, committer, leaf, path, pathSecrets, commitSecret, keys);
        }
        catch
        {
            keys.Dispose();
            foreach (var s in pathSecrets)
            {
                if (s is not null)
                {
                    CryptographicOperations.ZeroMemory(s);
                }
            }
            if (commitSecret is not null)
            {
                CryptographicOperations.ZeroMemory(commitSecret);
            }
            throw;
        }
    }

    /// <summary>Merges a received UpdatePath into a copy of <paramref name="tree"/> (RFC 9420 §7.5,
    /// §12.4.2) and returns it: checks the path length against the sender's filtered direct path,
    /// that its keys are well-formed and new to the tree, the leaf node's source, parent hash and
    /// signature (for <paramref name="groupId"/> and <paramref name="sender"/>). Credential and
    /// capability checks of the leaf node are the caller's (RFC 9420 §7.3).</summary>
    public static RatchetTree MergeUpdatePath(RatchetTree tree, LeafIndex sender, UpdatePath path, byte[] groupId)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(groupId);
        var suite = tree.Suite;
        if (sender.Value >= tree.LeafCount)
        {
            throw new MlsProtocolException(MlsError.UpdatePathInvalid, $"UpdatePath sender {sender} is outside the tree.");
        }
        var leaf = path.LeafNode;
        if (leaf.Source != LeafNodeSource.Commit)
        {
            throw new MlsProtocolException(MlsError.LeafNodeSourceWrong, "The leaf node of an UpdatePath must have source commit.");
        }
        var filtered = tree.FilteredDirectPath(sender);
        if (path.Nodes.Count != filtered.Count)
        {
            throw new MlsProtocolException(MlsError.UpdatePathInvalid,
                $"UpdatePath has {path.Nodes.Count} nodes but the filtered direct path of {sender} has {filtered.Count}.");
        }

        // RFC 9420 §12.4.2: none of the path's public keys may appear in the tree already.
        var newKeys = new HashSet<byte[]>(PublicKeyComparer.Instance);
        int keyLength = suite.Hpke.PublicKeyLength;
        foreach (byte[] key in path.Nodes.Select(n => n.EncryptionKey).Prepend(leaf.EncryptionKey))
        {
            if (key.Length != keyLength || !suite.Hpke.IsWellFormedPublicKey(key))
            {
                throw new MlsProtocolException(MlsError.UpdatePathInvalid, "An UpdatePath public key has the wrong length or form for the cipher suite.");
            }
            if (!newKeys.Add(key))
            {
                throw new MlsProtocolException(MlsError.EncryptionKeyNotUnique, "An UpdatePath repeats a public key.");
            }
        }
        // Every encrypted path secret, not only the one this member opens, has a KEM output of the suite's size.
        foreach (var ciphertext in path.Nodes.SelectMany(n => n.EncryptedPathSecret))
        {
            suite.CheckKemOutput(ciphertext.KemOutput.Length);
        }
        for (uint i = 0; i < tree.NodeCount; i++)
        {
            if (tree.GetNode(new NodeIndex(i)) is { } n && newKeys.Contains(n.Leaf?.EncryptionKey ?? n.Parent!.EncryptionKey))
            {
                throw new MlsProtocolException(MlsError.EncryptionKeyNotUnique, $"An UpdatePath public key is already used by {new NodeIndex(i)}.");
            }
        }

        var next = tree.Clone();
        next.BlankPath(sender);
        for (int i = 0; i < filtered.Count; i++)
        {
            next.SetParent(filtered[i], new ParentNode(path.Nodes[i].EncryptionKey, [], []));
        }
        byte[] parentHash = ParentHash.SetAlongPath(next, sender, filtered);
        if (leaf.ParentHash is null || !leaf.ParentHash.AsSpan().SequenceEqual(parentHash))
        {
            throw new MlsProtocolException(MlsError.ParentHashInvalid, $"The parent hash in the leaf node of {sender} does not match its UpdatePath.");
        }
        if (!leaf.Verify(suite, groupId, sender))
        {
            throw new MlsProtocolException(MlsError.LeafNodeSignatureInvalid, $"The signature on the UpdatePath leaf node of {sender} is invalid.");
        }
        next.SetLeaf(sender, leaf);
        return next;
    }

    /// <summary>Decrypts a received UpdatePath (RFC 9420 §7.5) for the member owning <paramref name="privateKeys"/>
    /// and returns the commit secret (the caller wipes it). <paramref name="mergedTree"/> is the result of
    /// <see cref="MergeUpdatePath"/>; <paramref name="groupContext"/> the encoded provisional GroupContext;
    /// <paramref name="newMembers"/> the leaves added by the same commit. On success the keys for the
    /// sender's direct path are replaced by the derived ones.</summary>
    public static byte[] DecryptUpdatePath(RatchetTree mergedTree, LeafIndex sender, UpdatePath path, TreePrivateKeys privateKeys,
        ReadOnlySpan<byte> groupContext, IReadOnlyCollection<LeafIndex>? newMembers = null)
    {
        byte[] commitSecret = DecryptUpdatePath(mergedTree, sender, path, privateKeys, groupContext, newMembers,
            out byte[] pathSecret, out _);
        CryptographicOperations.ZeroMemory(pathSecret);
        return commitSecret;
    }

    /// <summary>As the public overload, also returning the decrypted path secret and its node (tests).</summary>
    internal static byte[] DecryptUpdatePath(RatchetTree mergedTree, LeafIndex sender, UpdatePath path, TreePrivateKeys privateKeys,
        ReadOnlySpan<byte> groupContext, IReadOnlyCollection<LeafIndex>? newMembers, out byte[] decryptedPathSecret, out NodeIndex decryptedNode)
    {
        ArgumentNullException.ThrowIfNull(mergedTree);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(privateKeys);
        var suite = mergedTree.Suite;
        var own = privateKeys.OwnLeaf;
        if (own == sender)
        {
            throw new ArgumentException("The committer does not decrypt its own UpdatePath.", nameof(privateKeys));
        }
        if (mergedTree.GetLeaf(own) is null)
        {
            throw new MlsProtocolException(MlsError.BlankNode, $"{own} is not a member of the tree the UpdatePath applies to.");
        }
        var filtered = mergedTree.FilteredDirectPath(sender);
        if (path.Nodes.Count != filtered.Count)
        {
            throw new MlsProtocolException(MlsError.UpdatePathInvalid, "The UpdatePath does not match the sender's filtered direct path.");
        }

        // The lowest node of the sender's filtered direct path above us: its copath child holds our leaf.
        int start = filtered.FindIndex(n => TreeMath.IsInSubtree(n, own.Node));
        if (start < 0)
        {
            throw new MlsProtocolException(MlsError.UpdatePathInvalid, $"The UpdatePath of {sender} has no node above {own}.");
        }
        var resolution = mergedTree.Resolution(RatchetTree.CopathChild(filtered[start], sender), newMembers);
        var ciphertexts = path.Nodes[start].EncryptedPathSecret;
        if (ciphertexts.Count != resolution.Count)
        {
            throw new MlsProtocolException(MlsError.UpdatePathInvalid,
                $"UpdatePath node {start} has {ciphertexts.Count} ciphertexts for a resolution of {resolution.Count} nodes.");
        }
        int slot = resolution.FindIndex(n => TreeMath.IsInSubtree(n, own.Node) && privateKeys.Contains(n));
        if (slot < 0)
        {
            throw new MlsProtocolException(MlsError.PathSecretUnavailable, $"{own} holds no private key for the resolution the path secret was encrypted to.");
        }
        privateKeys.TryGet(resolution[slot], out byte[] privateKey);
        var ct = ciphertexts[slot];
        byte[] secret = suite.DecryptWithLabel(privateKey, UpdatePathNodeLabel, groupContext, ct.KemOutput, ct.Ciphertext);
        if (secret.Length != suite.HashLength)
        {
            CryptographicOperations.ZeroMemory(secret);
            throw new MlsProtocolException(MlsError.PathSecretUnavailable, "A decrypted path secret has the wrong length.");
        }

        // Derive the keys for the rest of the path and check them before changing anything.
        var derived = new List<(NodeIndex Node, byte[] PrivateKey)>();
        byte[] current = secret.ToArray();
        try
        {
            for (int i = start; i < filtered.Count; i++)
            {
                if (i > start)
                {
                    byte[] following = suite.DeriveSecret(current, "path");
                    CryptographicOperations.ZeroMemory(current);
                    current = following;
                }
                var pair = DeriveNodeKeyPair(suite, current);
                derived.Add((filtered[i], pair.PrivateKey));
                if (!pair.PublicKey.AsSpan().SequenceEqual(path.Nodes[i].EncryptionKey))
                {
                    throw new MlsProtocolException(MlsError.PathSecretKeyMismatch, $"The public key of {filtered[i]} does not match its path secret.");
                }
            }
            byte[] commitSecret = suite.DeriveSecret(current, "path");

            foreach (var node in mergedTree.DirectPath(sender))
            {
                privateKeys.Remove(node);
            }
            foreach (var (node, key) in derived)
            {
                privateKeys.SetPrivateKey(node, key);
            }
            decryptedPathSecret = secret;
            decryptedNode = filtered[start];
            return commitSecret;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(secret);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current);
            foreach (var (_, key) in derived)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    /// <summary>A joiner's use of GroupSecrets.path_secret (RFC 9420 §12.4.3.1): sets the keys of the
    /// lowest common ancestor of <paramref name="committer"/> and the joiner and of the committer's
    /// filtered direct path above it, checking each against the tree.</summary>
    public static void ImportPathSecret(RatchetTree tree, LeafIndex committer, ReadOnlySpan<byte> pathSecret, TreePrivateKeys privateKeys)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(privateKeys);
        var suite = tree.Suite;
        var own = privateKeys.OwnLeaf;
        if (own == committer)
        {
            throw new MlsProtocolException(MlsError.WelcomePathSecretInvalid, "A Welcome's path secret cannot be for the committer's own leaf.");
        }
        var ancestor = TreeMath.CommonAncestor(committer.Node, own.Node);
        var filtered = tree.FilteredDirectPath(committer);
        int start = filtered.IndexOf(ancestor);
        if (start < 0)
        {
            throw new MlsProtocolException(MlsError.WelcomePathSecretInvalid, "The Welcome's path secret is for a node off the committer's filtered direct path.");
        }
        using var staged = privateKeys.Clone();
        byte[] current = pathSecret.ToArray();
        try
        {
            for (int i = start; i < filtered.Count; i++)
            {
                if (i > start)
                {
                    byte[] following = suite.DeriveSecret(current, "path");
                    CryptographicOperations.ZeroMemory(current);
                    current = following;
                }
                byte[] publicKey = staged.SetFromPathSecret(suite, filtered[i], current);
                if (tree.IsBlank(filtered[i]) || !publicKey.AsSpan().SequenceEqual(tree.EncryptionKeyOf(filtered[i])))
                {
                    throw new MlsProtocolException(MlsError.PathSecretKeyMismatch, $"The path secret does not match the public key of {filtered[i]}.");
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current);
        }
        privateKeys.TakeFrom(staged);
    }

    /// <summary>The node key pair of a path secret: KEM.DeriveKeyPair(DeriveSecret(path_secret, "node")).</summary>
    public static HpkeKeyPair DeriveNodeKeyPair(CipherSuite suite, ReadOnlySpan<byte> pathSecret)
    {
        ArgumentNullException.ThrowIfNull(suite);
        byte[] nodeSecret = suite.DeriveSecret(pathSecret, "node");
        try
        {
            return suite.Hpke.DeriveKeyPair(nodeSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(nodeSecret);
        }
    }
}
