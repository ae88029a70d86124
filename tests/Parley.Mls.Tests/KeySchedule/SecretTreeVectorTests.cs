// RFC 9420 §9 (secret tree) and §6.3.2 (sender data keys), checked against the secret-tree.json
// interop vectors.
using Parley.Mls.Crypto;
using Parley.Mls.KeySchedule;
using Parley.Mls.Tests.Vectors;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.KeySchedule;

public sealed class SecretTreeVectorTests
{
    public static IEnumerable<object[]> Cases() => VectorFile.Cases("secret-tree");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sender_data_keys_match_the_vector(int index, ushort suiteId)
    {
        var v = VectorFile.Load("secret-tree")[index].GetProperty("sender_data");
        var suite = CipherSuite.Get(suiteId);

        var (key, nonce) = SenderDataKeys.Derive(suite, v.Hex("sender_data_secret"), v.Hex("ciphertext"));

        Assert.Equal(Convert.ToHexStringLower(v.Hex("key")), Convert.ToHexStringLower(key));
        Assert.Equal(Convert.ToHexStringLower(v.Hex("nonce")), Convert.ToHexStringLower(nonce));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ratchet_keys_match_the_vector_for_every_leaf_and_generation(int index, ushort suiteId)
    {
        var v = VectorFile.Load("secret-tree")[index];
        var suite = CipherSuite.Get(suiteId);
        var leaves = v.GetProperty("leaves").EnumerateArray().ToArray();
        using var tree = new SecretTree(suite, v.Hex("encryption_secret"), (uint)leaves.Length);

        int checkedKeys = 0;
        for (uint i = 0; i < leaves.Length; i++)
        {
            foreach (var g in leaves[i].EnumerateArray())
            {
                uint generation = g.GetProperty("generation").GetUInt32();
                string at = $"leaf {i} generation {generation}";
                using (var hs = tree.GetForReceiving(new LeafIndex(i), RatchetType.Handshake, generation))
                {
                    Assert.True(Hex(g.Hex("handshake_key")) == Hex(hs.Key), at + " handshake_key");
                    Assert.True(Hex(g.Hex("handshake_nonce")) == Hex(hs.Nonce), at + " handshake_nonce");
                }
                using (var app = tree.GetForReceiving(new LeafIndex(i), RatchetType.Application, generation))
                {
                    Assert.True(Hex(g.Hex("application_key")) == Hex(app.Key), at + " application_key");
                    Assert.True(Hex(g.Hex("application_nonce")) == Hex(app.Nonce), at + " application_nonce");
                }
                checkedKeys++;
            }
        }
        Assert.True(checkedKeys > 0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sending_ratchet_reproduces_the_vector_keys(int index, ushort suiteId)
    {
        var v = VectorFile.Load("secret-tree")[index];
        var suite = CipherSuite.Get(suiteId);
        var leaves = v.GetProperty("leaves").EnumerateArray().ToArray();
        using var tree = new SecretTree(suite, v.Hex("encryption_secret"), (uint)leaves.Length);

        // Walk the last leaf's application ratchet by sending, as its owner would.
        var leaf = new LeafIndex((uint)leaves.Length - 1);
        foreach (var g in leaves[^1].EnumerateArray())
        {
            uint generation = g.GetProperty("generation").GetUInt32();
            while (tree.NextGeneration(leaf, RatchetType.Application) < generation)
            {
                tree.NextForSending(leaf, RatchetType.Application).Dispose();
            }
            using var key = tree.NextForSending(leaf, RatchetType.Application);
            Assert.Equal(generation, key.Generation);
            Assert.Equal(Hex(g.Hex("application_key")), Hex(key.Key));
            Assert.Equal(Hex(g.Hex("application_nonce")), Hex(key.Nonce));
        }
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
