// The "ReInit" scenario of test-scenarios.md and the reinit and branch scripts of the mls-implementations
// test runner (configs/reinit.json, configs/branch.json), run against Parley's interop server with
// Parley playing every member (RFC 9420 §11.2, §11.3).
using Google.Protobuf;
using Grpc.Core;
using Parley.Mls.Interop.Protocol;
using Xunit;
using static Parley.Mls.Interop.Tests.InteropDriver;

namespace Parley.Mls.Interop.Tests;

[Collection(InteropCollection.Name)]
public sealed class ReInitAndBranchScenarioTests(InteropServerFixture server)
{
    public static TheoryData<ushort, bool> Suites() => InteropScenarioTests.Suites();

    /// <summary>Suites 1-3, each reinitialized to the next one, with public and encrypted handshakes.</summary>
    public static TheoryData<ushort, ushort, bool> SuiteChanges()
    {
        var data = new TheoryData<ushort, ushort, bool>();
        foreach (ushort suite in new ushort[] { 1, 2, 3 })
        {
            data.Add(suite, (ushort)(suite % 3 + 1), false);
            data.Add(suite, (ushort)(suite % 3 + 1), true);
        }
        return data;
    }

    // The runner's two extensions: required_capabilities asking for nothing, and no external senders.
    private static Protocol.Extension[] RunnerExtensions() =>
    [
        new() { ExtensionType = 3, ExtensionData = ByteString.CopyFrom(0, 0, 0) },
        new() { ExtensionType = 5, ExtensionData = ByteString.CopyFrom(0) },
    ];

    private InteropDriver Driver(ushort suite, bool encrypt) => new(server.Client, suite, encrypt);

    // createGroup with alice and members bob, charlie, diana, eliza.
    private static async Task<List<Member>> FiveMembersAsync(InteropDriver d)
    {
        var alice = await d.CreateGroupAsync("alice");
        return [alice, .. await d.AddAsync(alice, [], "bob", "charlie", "diana", "eliza")];
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task ReInit_with_a_new_group_id(ushort suite, bool encrypt)
    {
        // test-scenarios.md "ReInit" with the runner's roles: alice proposes, bob commits, charlie welcomes.
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var reborn = await d.ReInitAsync(m, proposer: m[0], committer: m[1], welcomer: m[2], suite, Bytes($"reborn {Guid.NewGuid():N}"));
        await d.VerifyGroupStateAsync(reborn);

        // The old group is closed: no more messages there.
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.ProtectAsync(new ProtectRequest { StateId = m[3].StateId, Plaintext = Bytes("late") }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        // The new group goes on like any other.
        var commit = await d.CommitAsync(reborn[4], forcePath: true);
        await d.ApplyCommitAsync(reborn[4], commit, reborn.Take(4));
        await d.VerifyGroupStateAsync(reborn);
    }

    [Theory]
    [MemberData(nameof(SuiteChanges))]
    public async Task ReInit_to_another_cipher_suite(ushort suite, ushort newSuite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var reborn = await d.ReInitAsync(m, m[0], m[1], m[2], newSuite, Bytes("group"));
        await d.VerifyGroupStateAsync(reborn);
        var info = await server.Client.GroupInfoAsync(new GroupInfoRequest { StateId = reborn[0].StateId });
        Assert.Equal(newSuite, Parley.Mls.Messages.MlsMessage.Decode(info.GroupInfo.Memory).GroupInfo!.GroupContext.CipherSuite);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)2, true)]
    [InlineData((ushort)3, false)]
    public async Task ReInit_with_new_extensions(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var reborn = await d.ReInitAsync(m, m[0], m[1], m[2], suite, Bytes("group"), RunnerExtensions());
        await d.VerifyGroupStateAsync(reborn);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)1, true)]
    [InlineData((ushort)3, false)]
    public async Task ReInit_by_one_actor_alone(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var reborn = await d.ReInitAsync(m, m[0], m[0], m[0], suite, Bytes("all same actor"));
        await d.VerifyGroupStateAsync(reborn);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)2, true)]
    public async Task ReInit_with_the_tree_outside_the_welcome(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var reborn = await d.ReInitAsync(m, m[0], m[1], m[2], suite, Bytes("external tree"), externalTree: true);
        await d.VerifyGroupStateAsync(reborn);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)3, true)]
    public async Task ReInit_with_a_forced_path(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var reborn = await d.ReInitAsync(m, m[0], m[1], m[2], suite, Bytes("force path"), forcePath: true);
        await d.VerifyGroupStateAsync(reborn);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)2, true)]
    public async Task ReInit_committed_by_value(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        List<Member> m = [alice, .. await d.AddAsync(alice, [], "bob")];
        var reborn = await d.ReInitAsync(m, proposer: null, committer: m[1], welcomer: m[0], suite, Bytes("by value"));
        await d.VerifyGroupStateAsync(reborn);
    }

    [Fact]
    public async Task A_reinit_welcome_is_refused_by_a_member_of_another_group()
    {
        var d = Driver(1, false);
        var m = await FiveMembersAsync(d);
        var proposal = (await server.Client.ReInitProposalAsync(new ReInitProposalRequest { StateId = m[0].StateId, CipherSuite = 1, GroupId = Bytes("g2") })).Proposal;
        var commit = await server.Client.ReInitCommitAsync(new CommitRequest { StateId = m[0].StateId, ByReference = { proposal } });
        var alice = await server.Client.HandlePendingReInitCommitAsync(new HandlePendingCommitRequest { StateId = m[0].StateId });
        var bob = await server.Client.HandleReInitCommitAsync(new HandleCommitRequest { StateId = m[1].StateId, Commit = commit.Commit, Proposal = { proposal } });

        // Bob's own two-member group, also reinitialized.
        var other = await d.CreateGroupAsync("bob");
        List<Member> otherMembers = [other, .. await d.AddAsync(other, [], "alice")];
        var otherProposal = (await server.Client.ReInitProposalAsync(new ReInitProposalRequest { StateId = other.StateId, CipherSuite = 1, GroupId = Bytes("g3") })).Proposal;
        var otherCommit = await server.Client.ReInitCommitAsync(new CommitRequest { StateId = other.StateId, ByReference = { otherProposal } });
        var otherBob = await server.Client.HandlePendingReInitCommitAsync(new HandlePendingCommitRequest { StateId = other.StateId });
        var otherAlice = await server.Client.HandleReInitCommitAsync(new HandleCommitRequest
        {
            StateId = otherMembers[1].StateId,
            Commit = otherCommit.Commit,
            Proposal = { otherProposal },
        });
        var created = await server.Client.ReInitWelcomeAsync(new ReInitWelcomeRequest { ReinitId = otherBob.ReinitId, KeyPackage = { otherAlice.KeyPackage } });

        // Alice's key package of the first reinit cannot open it; her reinit of the other group can.
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.HandleReInitWelcomeAsync(new HandleReInitWelcomeRequest { ReinitId = alice.ReinitId, Welcome = created.Welcome }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        var joined = await server.Client.HandleReInitWelcomeAsync(new HandleReInitWelcomeRequest { ReinitId = otherAlice.ReinitId, Welcome = created.Welcome });
        Assert.Equal(created.EpochAuthenticator, joined.EpochAuthenticator);
        Assert.NotEqual(0u, bob.ReinitId);
    }

    [Fact]
    public async Task Reinit_rpcs_without_a_reinit_answer_clearly()
    {
        var d = Driver(1, false);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        // A pending ordinary Commit: merging it works, but there is no ReInit to follow.
        await d.CommitAsync(alice, forcePath: true);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.HandlePendingReInitCommitAsync(new HandlePendingCommitRequest { StateId = alice.StateId }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("ReInit", e.Status.Detail, StringComparison.Ordinal);
        var f = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.ReInitWelcomeAsync(new ReInitWelcomeRequest { ReinitId = 999_999 }));
        Assert.Equal(StatusCode.NotFound, f.StatusCode);
        var g = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.ReInitProposalAsync(new ReInitProposalRequest { StateId = bob.StateId, CipherSuite = 0x7777, GroupId = Bytes("x") }));
        Assert.Equal(StatusCode.Unimplemented, g.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Branch_of_every_member(ushort suite, bool encrypt)
    {
        // configs/branch.json "base": alice branches with all four others.
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var branch = await d.BranchAsync(m[0], m.Skip(1).ToList());
        await d.VerifyGroupStateAsync(branch);
        // The old group is unaffected and still works.
        await d.VerifyGroupStateAsync(m);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)2, true)]
    [InlineData((ushort)3, false)]
    public async Task Branch_of_some_members_with_extensions(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var branch = await d.BranchAsync(m[2], [m[0], m[4]], RunnerExtensions());
        await d.VerifyGroupStateAsync(branch);
        await d.VerifyGroupStateAsync(m);
    }

    [Theory]
    [InlineData((ushort)1, false)]
    [InlineData((ushort)3, true)]
    public async Task Branch_with_the_tree_outside_the_welcome(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var branch = await d.BranchAsync(m[0], m.Skip(1).ToList(), externalTree: true);
        await d.VerifyGroupStateAsync(branch);
    }

    [Theory]
    [InlineData((ushort)1, true)]
    [InlineData((ushort)2, false)]
    public async Task Branch_with_a_forced_path(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var m = await FiveMembersAsync(d);
        var branch = await d.BranchAsync(m[0], m.Skip(1).ToList(), forcePath: true);
        await d.VerifyGroupStateAsync(branch);
    }

    [Fact]
    public async Task A_branch_with_an_outsider_is_refused()
    {
        var d = Driver(1, false);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        var outsider = await d.KeyPackageAsync("mallory");
        var e = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.CreateBranchAsync(new CreateBranchRequest
        {
            StateId = alice.StateId,
            GroupId = Bytes("b"),
            KeyPackages = { outsider.KeyPackage },
        }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);

        // A member's branch Welcome is no ordinary Welcome.
        var bobKeyPackage = await d.KeyPackageAsync("bob");
        var created = await server.Client.CreateBranchAsync(new CreateBranchRequest
        {
            StateId = alice.StateId,
            GroupId = Bytes("b"),
            KeyPackages = { bobKeyPackage.KeyPackage },
        });
        var f = await Assert.ThrowsAsync<RpcException>(async () => await server.Client.JoinGroupAsync(new JoinGroupRequest
        {
            TransactionId = bobKeyPackage.TransactionId,
            Welcome = created.Welcome,
            Identity = Bytes("bob"),
        }));
        Assert.Equal(StatusCode.FailedPrecondition, f.StatusCode);
        var joined = await server.Client.HandleBranchAsync(new HandleBranchRequest
        {
            StateId = bob.StateId,
            TransactionId = bobKeyPackage.TransactionId,
            Welcome = created.Welcome,
        });
        Assert.Equal(created.EpochAuthenticator, joined.EpochAuthenticator);
    }
}
