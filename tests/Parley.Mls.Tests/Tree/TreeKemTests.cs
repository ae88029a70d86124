// RFC 9420 §7.4-§7.6, §12.4.2 and §12.4.3.1: TreeKEM between simulated members, including new
// members excluded from the path's resolutions and joiners using a Welcome's path secret.
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class TreeKemTests
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);
    private static readonly byte[] GroupId = Encoding.ASCII.GetBytes("treekem-test-group");

    // Stands in for the encoded provisional GroupContext: any bytes that bind the tree hash.
    private static byte[] Context(byte[] treeHash) => [.. "context:"u8, .. treeHash];

    /// <summary>A member's view: its own copy of the public tree and its private keys.</summary>
    private sealed class View : IDisposable
    {
        public required TreeTestMember Member { get; init; }
        public required RatchetTree Tree { get; set; }
        public required TreePrivateKeys Keys { get; set; }
        public void Dispose() => Keys.Dispose();
    }

    /// <summary>The creator adds the <paramref name="size"/> - 1 others in one commit with a path; each joiner
    /// gets the tree and its path secret as a Welcome would give them.</summary>
    private static List<View> CreateGroup(int size)
    {
        var members = Enumerable.Range(0, size).Select(i => new TreeTestMember(Suite, $"m{i}")).ToList();
        var tree = new RatchetTree(Suite, members[0].LeafNode);
        var added = members.Skip(1).Select(m => tree.AddLeaf(m.LeafNode)).ToList();
        using var prepared = TreeKem.CreateUpdatePath(tree, new LeafIndex(0), members[0].LeafNode, members[0].Signature.PrivateKey,
            GroupId, added, Context);
        var views = new List<View>
        {
            new() { Member = members[0], Tree = prepared.Tree, Keys = prepared.TakePrivateKeys() },
        };
        var received = RatchetTree.Decode(Suite, prepared.Tree.ToBytes());
        TreeValidation.Validate(received, prepared.Tree.TreeHash(), GroupId);
        for (int i = 1; i < size; i++)
        {
            var joinerTree = received.Clone();
            var keys = new TreePrivateKeys(added[i - 1]);
            keys.SetPrivateKey(added[i - 1].Node, members[i].Encryption.PrivateKey);
            byte[]? pathSecret = prepared.ExportPathSecret(added[i - 1]);
            Assert.NotNull(pathSecret);
            TreeKem.ImportPathSecret(joinerTree, new LeafIndex(0), pathSecret, keys);
            Assert.True(keys.IsConsistentWith(joinerTree));
            views.Add(new View { Member = members[i], Tree = joinerTree, Keys = keys });
        }
        return views;
    }

    /// <summary>Member <paramref name="committer"/> commits with a path; everyone else processes it.
    /// Returns the commit secrets, committer's first.</summary>
    private static List<byte[]> Commit(List<View> views, int committer)
    {
        var c = views[committer];
        var own = c.Keys.OwnLeaf;
        using var prepared = TreeKem.CreateUpdatePath(c.Tree, own, c.Tree.GetLeaf(own)!, c.Member.Signature.PrivateKey,
            GroupId, null, Context);
        var secrets = new List<byte[]> { prepared.ExportCommitSecret() };
        foreach (var v in views.Where(v => v != c))
        {
            var merged = TreeKem.MergeUpdatePath(v.Tree, own, prepared.Path!, GroupId);
            secrets.Add(TreeKem.DecryptUpdatePath(merged, own, prepared.Path!, v.Keys, Context(merged.TreeHash())));
            v.Tree = merged;
            Assert.True(v.Keys.IsConsistentWith(merged));
        }
        c.Tree = prepared.Tree;
        c.Keys.TakeFrom(prepared.TakePrivateKeys());
        return secrets;
    }

    private static void AssertInSync(List<View> views)
    {
        byte[] encoded = views[0].Tree.ToBytes();
        foreach (var v in views)
        {
            Assert.Equal(encoded, v.Tree.ToBytes());
            Assert.True(v.Keys.IsConsistentWith(v.Tree));
        }
        TreeValidation.Validate(views[0].Tree, views[0].Tree.TreeHash(), GroupId);
    }

    [Fact]
    public void Joiners_welcomed_with_a_path_secret_hold_the_keys_above_them()
    {
        var views = CreateGroup(6);
        try
        {
            AssertInSync(views);
            // The creator's path covers the whole tree: every member knows the root key.
            var root = views[0].Tree.Root;
            Assert.All(views, v => Assert.True(v.Keys.Contains(root)));
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void Every_member_derives_the_committers_commit_secret()
    {
        var views = CreateGroup(7);
        try
        {
            foreach (int committer in new[] { 3, 6, 0, 1, 5 })
            {
                var secrets = Commit(views, committer);
                Assert.All(secrets, s => Assert.Equal(secrets[0], s));
                AssertInSync(views);
            }
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void A_commit_encrypting_to_many_members_is_processed_by_all_of_them()
    {
        // 64 members, parents blank except the creator's path: member 33's path is encrypted to
        // 31 leaves and one parent, enough to take the parallel encryption route.
        var views = CreateGroup(64);
        try
        {
            var secrets = Commit(views, 33);
            Assert.All(secrets, s => Assert.Equal(secrets[0], s));
            AssertInSync(views);
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void A_path_is_not_encrypted_to_members_added_by_the_same_commit()
    {
        var views = CreateGroup(3);
        try
        {
            var c = views[1];
            var joiner = new TreeTestMember(Suite, "late");
            var next = c.Tree.Clone();
            var added = next.AddLeaf(joiner.LeafNode);
            using var prepared = TreeKem.CreateUpdatePath(next, c.Keys.OwnLeaf, c.Tree.GetLeaf(c.Keys.OwnLeaf)!,
                c.Member.Signature.PrivateKey, GroupId, [added], Context);
            int ciphertexts = prepared.Path!.Nodes.Sum(n => n.EncryptedPathSecret.Count);
            Assert.Equal(2, ciphertexts); // to members 0 and 2 only

            var other = views[0];
            var otherTree = other.Tree.Clone();
            otherTree.AddLeaf(joiner.LeafNode);
            var merged = TreeKem.MergeUpdatePath(otherTree, c.Keys.OwnLeaf, prepared.Path, GroupId);
            Assert.Equal(prepared.ExportCommitSecret(),
                TreeKem.DecryptUpdatePath(merged, c.Keys.OwnLeaf, prepared.Path, other.Keys, Context(merged.TreeHash()), [added]));

            using var joinerKeys = new TreePrivateKeys(added);
            joinerKeys.SetPrivateKey(added.Node, joiner.Encryption.PrivateKey);
            TreeKem.ImportPathSecret(merged, c.Keys.OwnLeaf, prepared.ExportPathSecret(added)!, joinerKeys);
            Assert.True(joinerKeys.IsConsistentWith(merged));
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void A_path_with_a_wrong_parent_hash_is_rejected_and_nothing_changes()
    {
        var views = CreateGroup(4);
        try
        {
            var c = views[2];
            var own = c.Keys.OwnLeaf;
            using var prepared = TreeKem.CreateUpdatePath(c.Tree, own, c.Tree.GetLeaf(own)!, c.Member.Signature.PrivateKey,
                GroupId, null, Context);
            var path = prepared.Path!;
            byte[] badHash = path.LeafNode.ParentHash!.ToArray();
            badHash[0] ^= 1;
            var forged = path with
            {
                LeafNode = (path.LeafNode with { ParentHash = badHash }).Sign(Suite, c.Member.Signature.PrivateKey, GroupId, own),
            };
            var receiver = views[0];
            byte[] before = receiver.Tree.ToBytes();

            MlsAssert.Fails(MlsError.ParentHashInvalid, () => TreeKem.MergeUpdatePath(receiver.Tree, own, forged, GroupId));
            Assert.Equal(before, receiver.Tree.ToBytes());
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void A_path_with_a_bad_leaf_signature_is_rejected()
    {
        var views = CreateGroup(4);
        try
        {
            var c = views[1];
            var own = c.Keys.OwnLeaf;
            using var prepared = TreeKem.CreateUpdatePath(c.Tree, own, c.Tree.GetLeaf(own)!, c.Member.Signature.PrivateKey,
                GroupId, null, Context);
            // Signed for another leaf index: the signature does not cover this sender's position.
            var forged = prepared.Path! with
            {
                LeafNode = prepared.Path!.LeafNode.Sign(Suite, c.Member.Signature.PrivateKey, GroupId, new LeafIndex(3)),
            };
            MlsAssert.Fails(MlsError.LeafNodeSignatureInvalid, () => TreeKem.MergeUpdatePath(views[0].Tree, own, forged, GroupId));
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void A_path_of_the_wrong_length_or_with_a_reused_key_is_rejected()
    {
        var views = CreateGroup(4);
        try
        {
            var c = views[3];
            var own = c.Keys.OwnLeaf;
            using var prepared = TreeKem.CreateUpdatePath(c.Tree, own, c.Tree.GetLeaf(own)!, c.Member.Signature.PrivateKey,
                GroupId, null, Context);
            var path = prepared.Path!;
            var shorter = path with { Nodes = path.Nodes.Take(path.Nodes.Count - 1).ToArray() };
            MlsAssert.Fails(MlsError.UpdatePathInvalid, () => TreeKem.MergeUpdatePath(views[0].Tree, own, shorter, GroupId));

            var reused = path with
            {
                Nodes = [path.Nodes[0] with { EncryptionKey = views[0].Tree.GetLeaf(new LeafIndex(1))!.EncryptionKey }, .. path.Nodes.Skip(1)],
            };
            MlsAssert.Fails(MlsError.EncryptionKeyNotUnique, () => TreeKem.MergeUpdatePath(views[0].Tree, own, reused, GroupId));
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void A_path_secret_that_does_not_match_the_public_keys_is_rejected_and_keys_are_kept()
    {
        var views = CreateGroup(4);
        try
        {
            var c = views[0];
            var own = c.Keys.OwnLeaf;
            using var prepared = TreeKem.CreateUpdatePath(c.Tree, own, c.Tree.GetLeaf(own)!, c.Member.Signature.PrivateKey,
                GroupId, null, Context);
            var receiver = views[3];
            var merged = TreeKem.MergeUpdatePath(receiver.Tree, own, prepared.Path!, GroupId);
            byte[] keysBefore = receiver.Keys.Encode();

            // Decrypting under a different group context fails authentication.
            MlsAssert.Fails(MlsError.HpkeDecryptionFailed, () =>
                TreeKem.DecryptUpdatePath(merged, own, prepared.Path!, receiver.Keys, Context([1, 2, 3])));
            Assert.Equal(keysBefore, receiver.Keys.Encode());
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void Private_keys_survive_encoding_and_are_wiped_on_dispose()
    {
        var views = CreateGroup(5);
        try
        {
            var keys = views[4].Keys;
            byte[] encoded = keys.Encode();
            using var decoded = TreePrivateKeys.Decode(encoded);
            Assert.Equal(keys.OwnLeaf, decoded.OwnLeaf);
            Assert.Equal(keys.Nodes, decoded.Nodes);
            Assert.True(decoded.IsConsistentWith(views[4].Tree));

            var copy = decoded.Clone();
            copy.Dispose();
            Assert.Throws<ObjectDisposedException>(() => copy.ExportPrivateKey(decoded.OwnLeaf.Node));
            byte[] leafKey = keys.ExportPrivateKey(keys.OwnLeaf.Node);
            Assert.DoesNotContain(Convert.ToHexString(leafKey), keys.ToString(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }

    [Fact]
    public void Updates_and_removes_blank_paths_and_pruning_drops_stale_keys()
    {
        var views = CreateGroup(4);
        try
        {
            // Member 3 is removed; everyone applies it, prunes, and member 0 commits.
            views[3].Dispose();
            views.RemoveAt(3);
            foreach (var v in views)
            {
                v.Tree.RemoveLeaf(new LeafIndex(3));
                v.Keys.Prune(v.Tree);
                Assert.False(v.Keys.Contains(v.Tree.Root));
            }
            var secrets = Commit(views, 0);
            Assert.All(secrets, s => Assert.Equal(secrets[0], s));
            AssertInSync(views);
        }
        finally
        {
            views.ForEach(v => v.Dispose());
        }
    }
}
