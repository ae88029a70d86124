// RFC 9420 §16.8 (KeyPackage reuse) and the last_resort extension of draft-ietf-mls-extensions.
using System.Security.Cryptography;
using Parley.Client.Groups;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;

namespace Parley.Client.Tests;

public sealed class LastResortKeyPackageTests
{
    [Fact]
    public void Only_the_last_resort_key_package_carries_the_last_resort_extension_and_its_leaf_lists_it()
    {
        DeviceLeaf bob = TestMls.NewDevice("bob");

        KeyPackage oneTime = Decode(bob.NewKeyPackage(DateTimeOffset.UtcNow));
        KeyPackage lastResort = Decode(bob.NewKeyPackage(DateTimeOffset.UtcNow, lastResort: true));

        Assert.False(oneTime.IsLastResort);
        Assert.True(lastResort.IsLastResort);
        Assert.Empty(Assert.Single(lastResort.Extensions).Data);
        Assert.Contains(ExtensionType.LastResort, lastResort.LeafNode.Capabilities.Extensions);
        Assert.True(lastResort.Verify(TestMls.Suite));
    }

    [Fact]
    public void A_last_resort_key_package_admits_its_device_to_two_groups()
    {
        DeviceLeaf alice = TestMls.NewDevice("alice"), bob = TestMls.NewDevice("bob");
        GeneratedKeyPackage generated = bob.NewKeyPackage(DateTimeOffset.UtcNow, lastResort: true);
        KeyPackage keyPackage = Decode(generated);

        var joined = new List<byte[]>();
        for (int i = 0; i < 2; i++)
        {
            using MlsGroup group = alice.CreateGroup(RandomNumberGenerator.GetBytes(16), new MlsGroupOptions());
            // The adder checks the package as RFC 9420 §12.2 says (capabilities listing every extension it carries).
            CommitResult commit = group.Commit(new CommitOptions { Proposals = [new Add(keyPackage)] });
            group.MergePendingCommit();
            // The device keeps the last-resort private keys after a join, so the second Welcome opens too.
            using KeyPackageBundle bundle = bob.Bundle(generated);
            using MlsGroup bobs = MlsGroup.JoinFromWelcome(commit.Welcome!, bundle);
            Assert.Equal(group.GroupId, bobs.GroupId);
            joined.Add(bobs.GroupId);
        }
        Assert.NotEqual(joined[0], joined[1]);
    }

    private static KeyPackage Decode(GeneratedKeyPackage generated) => MlsMessage.Decode(generated.Message).KeyPackage!;
}
