// RFC 9420 §4.1.1 (resolution), §7.8 (tree hashes), §7.9.2 (parent hashes), §7.3 (leaf signatures):
// the official tree-validation vectors.
using System.Text.Json;
using Parley.Mls.Crypto;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Tree;

public sealed class TreeValidationVectorTests
{
    public static IEnumerable<object[]> Cases()
        => VectorFile.Cases("tree-validation", e => CipherSuite.TryGet(e.GetProperty("cipher_suite").GetUInt16(), out _));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resolutions_and_tree_hashes_match_and_the_tree_validates(int index, ushort suite)
    {
        var entry = VectorFile.Load("tree-validation")[index];
        var tree = RatchetTree.Decode(CipherSuite.Get(suite), entry.Hex("tree"));

        var resolutions = entry.GetProperty("resolutions").EnumerateArray().ToArray();
        var hashes = entry.GetProperty("tree_hashes").EnumerateArray().ToArray();
        Assert.True(resolutions.Length <= tree.NodeCount);
        for (uint i = 0; i < resolutions.Length; i++)
        {
            uint[] expected = resolutions[i].EnumerateArray().Select(x => x.GetUInt32()).ToArray();
            Assert.Equal(expected, tree.Resolution(new NodeIndex(i)).Select(n => n.Value).ToArray());
        }
        for (uint i = 0; i < hashes.Length; i++)
        {
            Assert.Equal(Convert.FromHexString(hashes[i].GetString()!), tree.TreeHash(new NodeIndex(i)));
        }

        TreeValidation.Validate(tree, tree.TreeHash(), entry.Hex("group_id"));
    }
}
