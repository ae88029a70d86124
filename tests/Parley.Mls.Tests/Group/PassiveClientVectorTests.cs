// RFC 9420 §12.4.2 (processing a Commit) and §12.4.3.1 (joining via Welcome): the official
// passive-client vectors, in which a client joins by Welcome and follows the group's Commits.
using System.Text.Json;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.Group;

public sealed class PassiveClientVectorTests
{
    public static IEnumerable<object[]> WelcomeCases() => VectorFile.Cases("passive-client-welcome");

    public static IEnumerable<object[]> HandlingCommitCases() => VectorFile.Cases("passive-client-handling-commit");

    public static IEnumerable<object[]> RandomCases() => VectorFile.Cases("passive-client-random");

    [Theory]
    [MemberData(nameof(WelcomeCases))]
    public void Passive_client_joins_by_welcome(int index, ushort cipherSuite)
        => Follow(VectorFile.Load("passive-client-welcome")[index], cipherSuite);

    [Theory]
    [MemberData(nameof(HandlingCommitCases))]
    public void Passive_client_follows_commits(int index, ushort cipherSuite)
        => Follow(VectorFile.Load("passive-client-handling-commit")[index], cipherSuite);

    [Theory]
    [MemberData(nameof(RandomCases))]
    public void Passive_client_follows_a_random_group(int index, ushort cipherSuite)
        => Follow(VectorFile.Load("passive-client-random")[index], cipherSuite);

    private static void Follow(JsonElement v, ushort cipherSuite)
    {
        var keyPackage = MlsMessage.Decode(v.Hex("key_package")).KeyPackage!;
        Assert.Equal(cipherSuite, keyPackage.CipherSuite);
        using var bundle = KeyPackageBundle.FromPrivateKeys(keyPackage, v.Hex("init_priv"), v.Hex("encryption_priv"), v.Hex("signature_priv"));
        using var psks = new PskStore();
        foreach (var psk in v.GetProperty("external_psks").EnumerateArray())
        {
            psks.AddExternal(psk.Hex("psk_id"), psk.Hex("psk"));
        }
        var options = MlsGroupOptions.Default with { PskStore = psks };
        byte[]? treeBytes = v.HexOrNull("ratchet_tree");
        var tree = treeBytes is null ? null : RatchetTreeExtension.Decode(treeBytes);

        using var group = MlsGroup.JoinFromWelcome(MlsMessage.Decode(v.Hex("welcome")), bundle, tree, options);
        Assert.Equal(Convert.ToHexString(v.Hex("initial_epoch_authenticator")), Convert.ToHexString(group.EpochAuthenticator));

        int n = 0;
        foreach (var epoch in v.GetProperty("epochs").EnumerateArray())
        {
            foreach (var proposal in epoch.GetProperty("proposals").EnumerateArray())
            {
                Assert.IsType<ProposalMessage>(group.ProcessMessage(Convert.FromHexString(proposal.GetString()!)));
            }
            var result = group.ProcessMessage(epoch.Hex("commit"));
            Assert.IsType<CommitMessage>(result);
            Assert.True(Convert.ToHexString(epoch.Hex("epoch_authenticator")) == Convert.ToHexString(group.EpochAuthenticator),
                $"epoch authenticator differs after epoch entry {n}");
            n++;
        }
    }
}
