// RFC 9420 §7.7 and §12.1.1-§12.1.3: applying Add, Update and Remove to a ratchet tree (the
// official tree-operations vectors).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class TreeOperationsVectorTests
{
    public static IEnumerable<object[]> Cases()
        => VectorFile.Cases("tree-operations", e => CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Applying_the_proposal_gives_the_expected_tree(int index, ushort suite)
    {
        var entry = VectorFile.Load("tree-operations")[index];
        var tree = RatchetTree.Decode(CipherSuite.Get(suite), entry.Hex("tree_before"));
        Assert.Equal(entry.Hex("tree_hash_before"), tree.TreeHash());

        var sender = new LeafIndex(entry.GetProperty("proposal_sender").GetUInt32());
        var proposal = TlsReader.Decode(entry.Hex("proposal"), Proposal.Decode);
        switch (proposal)
        {
            case Add add:
                tree.AddLeaf(add.KeyPackage.LeafNode);
                break;
            case Update update:
                tree.UpdateLeaf(sender, update.LeafNode);
                break;
            case Remove remove:
                tree.RemoveLeaf(remove.Removed);
                break;
            default:
                Assert.Fail($"Unexpected proposal type {proposal.Type}.");
                break;
        }

        Assert.Equal(Convert.ToHexString(entry.Hex("tree_after")), Convert.ToHexString(tree.ToBytes()));
        Assert.Equal(entry.Hex("tree_hash_after"), tree.TreeHash());
    }
}
