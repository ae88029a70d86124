// RFC 9420 §11.3 (subgroup branching), §8.6 (resumption PSK with usage branch) and §12.4.3.1 (the checks a
// member joining a branch makes).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;
using static Parley.Mls.Tests.Group.GroupScenario;

namespace Parley.Mls.Tests.Group;

public sealed class SubgroupBranchingTests
{
    private static readonly CipherSuite Suite1 = CipherSuite.Get(1);

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    [InlineData((ushort)3)]
    public void Some_members_branch_off_and_the_old_group_goes_on(ushort suiteId)
    {
        var suite = CipherSuite.Get(suiteId);
        using var s = Start(suite, null, "alice", "bob", "carol", "dave");
        ulong epoch = s.Groups[0].Epoch;
        using var bob = s.Clients[1].NewKeyPackage();
        using var carol = s.Clients[2].NewKeyPackage();
        var extensions = new[] { new Extension(ExtensionType.ExternalSenders, [0]) };
        var (aliceBranch, welcome) = s.Groups[0].CreateBranch("side chat"u8.ToArray(), [bob.KeyPackage, carol.KeyPackage], extensions);
        using var aliceGroup = aliceBranch;
        var psk = Assert.Single(WelcomePsks(welcome!, bob));
        Assert.Equal(ResumptionPskUsage.Branch, psk.Usage);
        Assert.Equal(epoch, psk.PskEpoch);
        Assert.Equal(suite.HashLength, psk.PskNonce.Length);

        using var bobGroup = s.Groups[1].JoinBranch(welcome!, bob);
        using var carolGroup = s.Groups[2].JoinBranch(welcome!, carol);
        Assert.Equal(1ul, bobGroup.Epoch);
        Assert.Equal("side chat"u8.ToArray(), bobGroup.GroupId);
        Assert.Equal(extensions, bobGroup.Context.Extensions);
        Assert.Equal(3, bobGroup.Members.Count);
        AssertInSync([aliceGroup, bobGroup, carolGroup]);

        // The old group is untouched and still works for all four.
        Assert.All(s.Groups, g => Assert.Equal(epoch, g.Epoch));
        var commit = s.Groups[3].Commit(new CommitOptions { ForcePath = true });
        s.Groups[3].MergePendingCommit();
        Deliver(commit.Commit, s.Groups.Take(3));
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_branch_welcome_without_the_tree_and_with_a_path_joins_with_the_tree_given_apart()
    {
        using var s = Start(Suite1, null, "alice", "bob", "carol");
        using var bob = s.Clients[1].NewKeyPackage();
        var (alice, welcome) = s.Groups[0].CreateBranch("apart"u8.ToArray(), [bob.KeyPackage],
            options: new LinkedGroupOptions { ForcePath = true, RatchetTreeInWelcome = false });
        using var aliceGroup = alice;
        using var bobGroup = s.Groups[1].JoinBranch(welcome!, bob, aliceGroup.ExportRatchetTree());
        AssertInSync([aliceGroup, bobGroup]);
    }

    [Fact]
    public void A_member_one_commit_ahead_still_joins_the_branch()
    {
        using var s = Start(Suite1, null, "alice", "bob", "carol");
        using var bob = s.Clients[1].NewKeyPackage();
        var (alice, welcome) = s.Groups[0].CreateBranch("late"u8.ToArray(), [bob.KeyPackage]);
        using var aliceGroup = alice;
        var commit = s.Groups[2].Commit(new CommitOptions { ForcePath = true });
        s.Groups[2].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);
        using var bobGroup = s.Groups[1].JoinBranch(welcome!, bob);
        AssertInSync([aliceGroup, bobGroup]);
    }

    [Fact]
    public void A_branch_holds_only_members_of_the_group()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        using var mallory = new GroupTestClient(Suite1, "mallory").NewKeyPackage();
        using var bob = s.Clients[1].NewKeyPackage();
        MlsAssert.Fails(MlsError.LinkedMembersMismatch, () => s.Groups[0].CreateBranch("b"u8.ToArray(), [bob.KeyPackage, mallory.KeyPackage]));

        // A careless creator lets Mallory in; Bob refuses the branch.
        var careless = MlsGroupOptions.Default with { CredentialValidator = new ReinitializationTests.AnyoneIsAnyone() };
        var (alice, welcome) = s.Groups[0].CreateBranch("b"u8.ToArray(), [bob.KeyPackage, mallory.KeyPackage],
            options: new LinkedGroupOptions { GroupOptions = careless });
        alice.Dispose();
        MlsAssert.Fails(MlsError.LinkedMembersMismatch, () => s.Groups[1].JoinBranch(welcome!, bob));
    }

    [Fact]
    public void A_branch_welcome_is_only_joined_through_the_group_it_branches_from()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        using var other = Start(Suite1, null, "alice", "bob");
        using var bob = s.Clients[1].NewKeyPackage();
        var (alice, welcome) = s.Groups[0].CreateBranch("b"u8.ToArray(), [bob.KeyPackage]);
        alice.Dispose();
        MlsAssert.Fails(MlsError.WelcomeLinkMismatch, () => MlsGroup.JoinFromWelcome(welcome!, bob));
        MlsAssert.Fails(MlsError.WelcomeUndecryptable, () => other.Groups[1].JoinBranch(welcome!, bob));
        // An ordinary Welcome is not a branch either.
        using var carol = new GroupTestClient(Suite1, "carol").NewKeyPackage();
        var add = s.Groups[0].Commit(new CommitOptions { Proposals = [new Add(carol.KeyPackage)] });
        MlsAssert.Fails(MlsError.WelcomeLinkMismatch, () => s.Groups[1].JoinBranch(add.Welcome!, carol));
    }

    [Fact]
    public void A_member_too_far_ahead_cannot_check_the_branch_and_refuses_it()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        using var bob = s.Clients[1].NewKeyPackage();
        var (alice, welcome) = s.Groups[0].CreateBranch("b"u8.ToArray(), [bob.KeyPackage]);
        alice.Dispose();
        for (int i = 0; i < 2; i++)
        {
            var commit = s.Groups[0].Commit(new CommitOptions { ForcePath = true });
            s.Groups[0].MergePendingCommit();
            Deliver(commit.Commit, [s.Groups[1]]);
        }
        MlsAssert.Fails(MlsError.LinkedPskInvalid, () => s.Groups[1].JoinBranch(welcome!, bob));
    }

    [Fact]
    public void The_branch_creator_can_use_a_new_signature_key_and_the_same_credential()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        using var bob = s.Clients[1].NewKeyPackage();
        var fresh = Suite1.GenerateSignatureKeyPair();
        var (alice, welcome) = s.Groups[0].CreateBranch("b"u8.ToArray(), [bob.KeyPackage], options: new LinkedGroupOptions { SignatureKeyPair = fresh });
        using var aliceGroup = alice;
        Assert.Equal(fresh.PublicKey, aliceGroup.Members[0].SignatureKey);
        using var bobGroup = s.Groups[1].JoinBranch(welcome!, bob);
        AssertInSync([aliceGroup, bobGroup]);

        var stranger = Credential.Basic("someone else"u8.ToArray());
        MlsAssert.Fails(MlsError.LinkedCreatorMismatch, () => s.Groups[0].CreateBranch("c"u8.ToArray(), [bob.KeyPackage],
            options: new LinkedGroupOptions { Credential = stranger }));
    }
}
