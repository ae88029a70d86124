// RFC 9420 §7.4-§7.6 and §12.4.2: processing and creating UpdatePaths (the official treekem vectors).
using System.Text.Json;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class TreeKemVectorTests
{
    public static IEnumerable<object[]> Cases()
        => VectorFile.Cases("treekem", e => CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Update_paths_decrypt_to_the_expected_secrets_and_new_paths_round_trip(int index, ushort suite)
    {
        var entry = VectorFile.Load("treekem")[index];
        var cs = CipherSuite.Get(suite);
        var tree = RatchetTree.Decode(cs, entry.Hex("ratchet_tree"));
        byte[] groupId = entry.Hex("group_id");
        ulong epoch = entry.GetProperty("epoch").GetUInt64();
        byte[] confirmedTranscriptHash = entry.Hex("confirmed_transcript_hash");
        byte[] GroupContextFor(byte[] treeHash)
            => new GroupContext(suite, groupId, epoch, treeHash, confirmedTranscriptHash, []).ToBytes();

        var members = new Dictionary<uint, (TreePrivateKeys Keys, byte[] SignaturePrivateKey)>();
        try
        {
            foreach (var lp in entry.GetProperty("leaves_private").EnumerateArray())
            {
                var leaf = new LeafIndex(lp.GetProperty("index").GetUInt32());
                var keys = new TreePrivateKeys(leaf);
                members[leaf.Value] = (keys, lp.Hex("signature_priv"));
                keys.SetPrivateKey(leaf.Node, lp.Hex("encryption_priv"));
                foreach (var ps in lp.GetProperty("path_secrets").EnumerateArray())
                {
                    keys.SetFromPathSecret(cs, new NodeIndex(ps.GetProperty("node").GetUInt32()), ps.Hex("path_secret"));
                }
                Assert.True(keys.IsConsistentWith(tree), $"private state of {leaf} is inconsistent with the tree");
            }
            Assert.Equal(tree.MemberCount, members.Count);

            foreach (var up in entry.GetProperty("update_paths").EnumerateArray())
            {
                var sender = new LeafIndex(up.GetProperty("sender").GetUInt32());
                var path = TlsReader.Decode(up.Hex("update_path"), UpdatePath.Decode);
                var expectedSecrets = up.GetProperty("path_secrets").EnumerateArray().ToArray();
                byte[] expectedCommitSecret = up.Hex("commit_secret");

                var merged = TreeKem.MergeUpdatePath(tree, sender, path, groupId);
                byte[] treeHashAfter = merged.TreeHash();
                Assert.Equal(up.Hex("tree_hash_after"), treeHashAfter);
                ParentHash.VerifyTree(merged);
                byte[] context = GroupContextFor(treeHashAfter);

                foreach (var (j, member) in members)
                {
                    if (j == sender.Value)
                    {
                        continue;
                    }
                    using var keys = member.Keys.Clone();
                    byte[] commitSecret = TreeKem.DecryptUpdatePath(merged, sender, path, keys, context, null,
                        out byte[] pathSecret, out _);
                    Assert.Equal(Convert.FromHexString(expectedSecrets[j].GetString()!), pathSecret);
                    Assert.Equal(expectedCommitSecret, commitSecret);
                    Assert.True(keys.IsConsistentWith(merged));
                }

                // A fresh path from the same sender must be processed alike by everyone else.
                var senderMember = members[sender.Value];
                using var prepared = TreeKem.CreateUpdatePath(tree, sender, tree.GetLeaf(sender)!, senderMember.SignaturePrivateKey,
                    groupId, null, GroupContextFor);
                byte[] newCommitSecret = prepared.ExportCommitSecret();
                var received = TreeKem.MergeUpdatePath(tree, sender, prepared.Path!, groupId);
                Assert.Equal(prepared.Tree.TreeHash(), received.TreeHash());
                Assert.Equal(prepared.Tree.ToBytes(), received.ToBytes());
                ParentHash.VerifyTree(received);
                byte[] newContext = GroupContextFor(received.TreeHash());
                using (var committerKeys = prepared.TakePrivateKeys())
                {
                    Assert.True(committerKeys.IsConsistentWith(received));
                }
                foreach (var (j, member) in members)
                {
                    if (j == sender.Value)
                    {
                        continue;
                    }
                    using var keys = member.Keys.Clone();
                    Assert.Equal(newCommitSecret, TreeKem.DecryptUpdatePath(received, sender, prepared.Path!, keys, newContext));
                }
            }
        }
        finally
        {
            foreach (var m in members.Values)
            {
                m.Keys.Dispose();
            }
        }
    }
}
