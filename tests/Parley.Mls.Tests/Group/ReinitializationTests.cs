// RFC 9420 §11.2 (reinitialization), §8.6 (resumption PSK with usage reinit) and §12.4.3.1 (the checks a
// member joining the new group makes).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;
using static Parley.Mls.Tests.Group.GroupScenario;

namespace Parley.Mls.Tests.Group;

public sealed class ReinitializationTests
{
    private static readonly CipherSuite Suite1 = CipherSuite.Get(1);

    private static readonly Extension EmptyRequiredCapabilities = new(ExtensionType.RequiredCapabilities, [0, 0, 0]);

    // Alice proposes the ReInit, Bob commits it, everybody processes the Commit.
    private static GroupScenario ClosedByReInit(ushort newSuite, byte[] newGroupId, IReadOnlyList<Extension>? extensions = null,
        MlsGroupOptions? options = null)
    {
        var s = Start(Suite1, options, "alice", "bob", "carol");
        var proposal = s.Groups[0].ProposeReInit(newGroupId, newSuite, extensions);
        Deliver(proposal, [s.Groups[1], s.Groups[2]]);
        var commit = s.Groups[1].Commit();
        s.Groups[1].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[0], s.Groups[2]]);
        return s;
    }

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    [InlineData((ushort)3)]
    public void Every_member_joins_the_group_a_reinit_asks_for(ushort newSuiteId)
    {
        byte[] newGroupId = "reborn"u8.ToArray();
        using var s = ClosedByReInit(newSuiteId, newGroupId, [EmptyRequiredCapabilities]);
        Assert.All(s.Groups, g => Assert.False(g.IsActive));
        Assert.All(s.Groups, g => Assert.Equal(s.Groups[0].EpochAuthenticator, g.EpochAuthenticator));
        ulong closedAt = s.Groups[0].Epoch;

        // Carol, who neither proposed nor committed, creates the new group with fresh key packages.
        var newSuite = CipherSuite.Get(newSuiteId);
        var next = s.Clients.Select(c => new GroupTestClient(newSuite, c.Name)).ToList();
        using var aliceKeyPackage = next[0].NewKeyPackage();
        using var bobKeyPackage = next[1].NewKeyPackage();
        var (carol, welcome) = s.Groups[2].CreateReInitGroup([aliceKeyPackage.KeyPackage, bobKeyPackage.KeyPackage],
            new LinkedGroupOptions { SignatureKeyPair = next[2].SignatureKeys });
        using var carolGroup = carol;
        Assert.NotNull(welcome);
        var psk = Assert.Single(WelcomePsks(welcome!, aliceKeyPackage));
        Assert.Equal(ResumptionPskUsage.ReInit, psk.Usage);
        Assert.Equal(s.Groups[0].GroupId, psk.PskGroupId);
        Assert.Equal(closedAt, psk.PskEpoch);

        using var alice = s.Groups[0].JoinReInitGroup(welcome!, aliceKeyPackage);
        using var bob = s.Groups[1].JoinReInitGroup(welcome!, bobKeyPackage);
        Assert.Equal(1ul, alice.Epoch);
        Assert.Equal(newGroupId, alice.GroupId);
        Assert.Equal(newSuiteId, alice.Suite.Id);
        Assert.Equal([EmptyRequiredCapabilities], alice.Context.Extensions);
        Assert.Equal(3, alice.Members.Count);
        AssertInSync([alice, bob, carolGroup]);
    }

    [Fact]
    public void A_reinit_may_keep_the_group_id_and_change_the_suite()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] groupId = s.Groups[0].GroupId;
        var proposal = s.Groups[1].ProposeReInit(groupId, 2);
        Deliver(proposal, [s.Groups[0]]);
        var commit = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);
        var suite2 = CipherSuite.Get(2);
        var alice = new GroupTestClient(suite2, "alice");
        using var bob = new GroupTestClient(suite2, "bob").NewKeyPackage();
        Assert.Throws<ArgumentException>(() => s.Groups[0].CreateReInitGroup([bob.KeyPackage]));
        var (aliceNew, welcome) = s.Groups[0].CreateReInitGroup([bob.KeyPackage], new LinkedGroupOptions { SignatureKeyPair = alice.SignatureKeys });
        using var aliceGroup = aliceNew;
        using var bobGroup = s.Groups[1].JoinReInitGroup(welcome!, bob);
        Assert.Equal(groupId, bobGroup.GroupId);
        Assert.Equal(2, bobGroup.Suite.Id);
        AssertInSync([aliceGroup, bobGroup]);
        // In the new group, an ordinary resumption PSK of the same group id names the new group's epochs.
        var psk = aliceGroup.Commit(new CommitOptions { Proposals = [aliceGroup.CreateResumptionPskProposal(1)] });
        aliceGroup.MergePendingCommit();
        Deliver(psk.Commit, [bobGroup]);
        AssertInSync([aliceGroup, bobGroup]);
    }

    [Fact]
    public void The_committer_can_create_the_new_group_with_its_old_signature_key_when_the_suite_stays()
    {
        using var s = ClosedByReInit(1, "same suite"u8.ToArray());
        using var alice = s.Clients[0].NewKeyPackage();
        using var carol = s.Clients[2].NewKeyPackage();
        var (bob, welcome) = s.Groups[1].CreateReInitGroup([alice.KeyPackage, carol.KeyPackage]);
        using var bobGroup = bob;
        using var aliceGroup = s.Groups[0].JoinReInitGroup(welcome!, alice);
        using var carolGroup = s.Groups[2].JoinReInitGroup(welcome!, carol);
        AssertInSync([aliceGroup, bobGroup, carolGroup]);
    }

    [Fact]
    public void A_new_group_without_the_tree_in_its_welcome_and_with_a_path_is_joined_with_the_tree_given_apart()
    {
        using var s = ClosedByReInit(1, "apart"u8.ToArray());
        using var alice = s.Clients[0].NewKeyPackage();
        using var carol = s.Clients[2].NewKeyPackage();
        var (bob, welcome) = s.Groups[1].CreateReInitGroup([alice.KeyPackage, carol.KeyPackage],
            new LinkedGroupOptions { ForcePath = true, RatchetTreeInWelcome = false });
        using var bobGroup = bob;
        var tree = bobGroup.ExportRatchetTree();
        MlsAssert.Fails(MlsError.RatchetTreeMissing, () => s.Groups[0].JoinReInitGroup(welcome!, alice));
        using var aliceGroup = s.Groups[0].JoinReInitGroup(welcome!, alice, tree);
        using var carolGroup = s.Groups[2].JoinReInitGroup(welcome!, carol, tree);
        AssertInSync([aliceGroup, bobGroup, carolGroup]);
    }

    [Fact]
    public void The_old_group_survives_a_restore_and_still_joins_the_new_group()
    {
        using var s = ClosedByReInit(1, "restored"u8.ToArray());
        using var restored = MlsGroup.Restore(s.Groups[0].Serialize());
        Assert.False(restored.IsActive);
        Assert.Equal(s.Groups[0].ReInit, restored.ReInit);
        using var alice = s.Clients[0].NewKeyPackage();
        using var bob = s.Clients[1].NewKeyPackage();
        var (carol, welcome) = s.Groups[2].CreateReInitGroup([alice.KeyPackage, bob.KeyPackage]);
        using var carolGroup = carol;
        using var aliceGroup = restored.JoinReInitGroup(welcome!, alice);
        Assert.Equal(carolGroup.EpochAuthenticator, aliceGroup.EpochAuthenticator);
    }

    [Fact]
    public void Without_a_committed_reinit_there_is_nothing_to_create_or_join()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        using var kp = s.Clients[1].NewKeyPackage();
        MlsAssert.Fails(MlsError.NoReInit, () => s.Groups[0].CreateReInitGroup([kp.KeyPackage]));
        var (branch, welcome) = s.Groups[0].CreateBranch("branch"u8.ToArray(), [kp.KeyPackage]);
        branch.Dispose();
        MlsAssert.Fails(MlsError.NoReInit, () => s.Groups[1].JoinReInitGroup(welcome!, kp));
    }

    [Fact]
    public void A_new_group_must_hold_every_member_of_the_old_one()
    {
        using var s = ClosedByReInit(1, "partial"u8.ToArray());
        using var alice = s.Clients[0].NewKeyPackage();
        MlsAssert.Fails(MlsError.LinkedMembersMismatch, () => s.Groups[2].CreateReInitGroup([alice.KeyPackage]));
        using var stranger = new GroupTestClient(Suite1, "mallory").NewKeyPackage();
        using var bob = s.Clients[1].NewKeyPackage();
        MlsAssert.Fails(MlsError.LinkedMembersMismatch, () => s.Groups[2].CreateReInitGroup([alice.KeyPackage, bob.KeyPackage, stranger.KeyPackage]));
    }

    [Fact]
    public void Joiners_reject_a_new_group_that_leaves_a_member_out()
    {
        using var s = ClosedByReInit(1, "partial"u8.ToArray());
        using var alice = s.Clients[0].NewKeyPackage();
        // Carol's application lets anybody stand for anybody: she leaves Bob out.
        var careless = MlsGroupOptions.Default with { CredentialValidator = new AnyoneIsAnyone() };
        var (carol, welcome) = s.Groups[2].CreateReInitGroup([alice.KeyPackage], new LinkedGroupOptions { GroupOptions = careless });
        carol.Dispose();
        MlsAssert.Fails(MlsError.LinkedMembersMismatch, () => s.Groups[0].JoinReInitGroup(welcome!, alice));
    }

    [Fact]
    public void Joiners_reject_a_new_group_whose_parameters_differ_from_the_reinit()
    {
        using var s = ClosedByReInit(1, "agreed"u8.ToArray());
        // Carol's copy of the ReInit is altered to name another group id.
        var (state, pending, sent) = GroupStateCodec.Decode(s.Groups[2].Serialize());
        state.ReInit = state.ReInit! with { GroupId = "something else"u8.ToArray() };
        using var tampered = MlsGroup.Restore(GroupStateCodec.Encode(state, pending, sent));
        state.Dispose();
        using var alice = s.Clients[0].NewKeyPackage();
        using var bob = s.Clients[1].NewKeyPackage();
        var (carol, welcome) = tampered.CreateReInitGroup([alice.KeyPackage, bob.KeyPackage]);
        carol.Dispose();
        MlsAssert.Fails(MlsError.LinkedParametersMismatch, () => s.Groups[0].JoinReInitGroup(welcome!, alice));
    }

    [Fact]
    public void A_reinit_welcome_is_only_joined_through_the_group_it_reinitializes()
    {
        using var s = ClosedByReInit(1, "one"u8.ToArray());
        using var other = ClosedByReInit(1, "one"u8.ToArray());
        using var alice = s.Clients[0].NewKeyPackage();
        using var bob = s.Clients[1].NewKeyPackage();
        var (carol, welcome) = s.Groups[2].CreateReInitGroup([alice.KeyPackage, bob.KeyPackage]);
        carol.Dispose();
        // A plain join, another closed group and a branch join all refuse it.
        MlsAssert.Fails(MlsError.WelcomeLinkMismatch, () => MlsGroup.JoinFromWelcome(welcome!, alice));
        MlsAssert.Fails(MlsError.WelcomeUndecryptable, () => other.Groups[0].JoinReInitGroup(welcome!, alice));
        MlsAssert.Fails(MlsError.LinkedPskInvalid, () => s.Groups[0].JoinBranch(welcome!, alice));
    }

    [Fact]
    public void Ordinary_commits_and_proposals_cannot_use_a_reinit_or_branch_psk()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        foreach (var usage in new[] { ResumptionPskUsage.ReInit, ResumptionPskUsage.Branch })
        {
            var psk = new PreSharedKey(PreSharedKeyId.Resumption(usage, s.Groups[0].GroupId, 1, new byte[Suite1.HashLength]));
            MlsAssert.Fails(MlsError.PskUsageInvalid, () => s.Groups[0].Commit(new CommitOptions { Proposals = [psk] }));
            var proposal = s.Groups[0].Propose(psk);
            MlsAssert.Fails(MlsError.PskUsageInvalid, () => s.Groups[1].ProcessMessage(proposal.ToBytes()));
        }
    }

    [Fact]
    public void A_closed_group_sends_nothing_more()
    {
        using var s = ClosedByReInit(1, "closed"u8.ToArray());
        MlsAssert.Fails(MlsError.GroupInactive, () => s.Groups[0].EncryptApplicationMessage("late"u8));
        MlsAssert.Fails(MlsError.GroupInactive, () => s.Groups[0].Commit());
        using var kp = s.Clients[1].NewKeyPackage();
        MlsAssert.Fails(MlsError.GroupInactive, () => s.Groups[0].CreateBranch("b"u8.ToArray(), [kp.KeyPackage]));
    }

    internal sealed class AnyoneIsAnyone : ICredentialValidator
    {
        public bool IsValid(Credential credential, ReadOnlySpan<byte> signatureKey) => BasicCredentialValidator.Instance.IsValid(credential, signatureKey);

        public bool IsSameClient(Credential a, Credential b) => true;
    }
}
