// The scenarios of the mls-implementations interop suite (test-scenarios.md), run against Parley's
// interop server with Parley playing every member.
using Google.Protobuf;
using Grpc.Core;
using Parley.Mls.Interop.Protocol;
using Xunit;
using static Parley.Mls.Interop.Tests.InteropDriver;

namespace Parley.Mls.Interop.Tests;

[Collection(InteropCollection.Name)]
public sealed class InteropScenarioTests(InteropServerFixture server)
{
    /// <summary>Every cipher suite Parley implements with public handshake messages, and suites 1-3 also
    /// with encrypted ones (the framing path does not depend on the suite; this keeps the run short).</summary>
    public static TheoryData<ushort, bool> Suites()
    {
        var data = new TheoryData<ushort, bool>();
        foreach (ushort suite in Parley.Mls.Crypto.CipherSuite.Supported)
        {
            data.Add(suite, false);
            if (suite <= 3)
            {
                data.Add(suite, true);
            }
        }
        return data;
    }

    private InteropDriver Driver(ushort suite, bool encrypt) => new(server.Client, suite, encrypt);

    [Fact]
    public async Task Server_names_itself_Parley_and_lists_suites_1_to_3()
    {
        Assert.Equal("Parley", (await server.Client.NameAsync(new NameRequest())).Name);
        var suites = (await server.Client.SupportedCiphersuitesAsync(new SupportedCiphersuitesRequest())).Ciphersuites;
        Assert.Contains(1u, suites);
        Assert.Contains(2u, suites);
        Assert.Contains(3u, suites);
        Assert.Equal(Parley.Mls.Crypto.CipherSuite.Supported.Select(s => (uint)s), suites);
    }

    [Fact]
    public async Task Unserved_rpcs_answer_unimplemented()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.NewMemberAddProposalAsync(new NewMemberAddProposalRequest { Identity = Bytes("x") }));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task Unknown_state_ids_answer_not_found()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.StateAuthAsync(new StateAuthRequest { StateId = 999_999 }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("999999", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_messages_answer_invalid_argument_and_leave_the_state_usable()
    {
        var d = Driver(1, false);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.HandleCommitAsync(new HandleCommitRequest { StateId = bob.StateId, Commit = ByteString.CopyFrom(1, 2, 3) }));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var f = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.CreateGroupAsync(new CreateGroupRequest { CipherSuite = 0x7777, GroupId = Bytes("g"), Identity = Bytes("x") }));
        Assert.Equal(StatusCode.Unimplemented, f.StatusCode);

        // A Commit handed to Unprotect is refused, not applied.
        var commit = await d.CommitAsync(alice, forcePath: true);
        var g = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.UnprotectAsync(new UnprotectRequest { StateId = bob.StateId, Ciphertext = commit.Commit }));
        Assert.Equal(StatusCode.FailedPrecondition, g.StatusCode);
        await d.ApplyCommitAsync(alice, commit, [bob]);
        await d.VerifyGroupStateAsync([alice, bob]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task One_to_one_join(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        await d.VerifyGroupStateAsync([alice, bob]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Three_party_join(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];

        // C's Add is proposed first and committed by reference, as the runner does.
        var carolKeyPackage = await d.KeyPackageAsync("carol");
        var add = (await server.Client.AddProposalAsync(new AddProposalRequest { StateId = alice.StateId, KeyPackage = carolKeyPackage.KeyPackage })).Proposal;
        var commit = await d.CommitAsync(alice, byReference: [add]);
        await d.ApplyCommitAsync(alice, commit, [bob], [add]);
        var carol = await d.JoinAsync("carol", carolKeyPackage.TransactionId, commit.Welcome);
        await d.VerifyGroupStateAsync([alice, bob, carol]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Multiple_joins_at_once(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var joined = await d.AddAsync(alice, [], "bob", "carol");
        await d.VerifyGroupStateAsync([alice, .. joined]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Welcome_without_the_tree_joins_with_the_tree_given_apart(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var kp = await d.KeyPackageAsync("bob");
        var commit = await d.CommitAsync(alice, byValue: [AddDescription(kp.KeyPackage)], externalTree: true);
        await d.ApplyCommitAsync(alice, commit, []);
        var bob = await d.JoinAsync("bob", kp.TransactionId, commit.Welcome, commit.RatchetTree);
        await d.VerifyGroupStateAsync([alice, bob]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task External_join(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        var members = new List<Member> { alice, bob };

        // Once with the tree inside the GroupInfo, once beside it.
        foreach (bool externalTree in new[] { false, true })
        {
            string name = externalTree ? "dave" : "carol";
            var info = await server.Client.GroupInfoAsync(new GroupInfoRequest { StateId = alice.StateId, ExternalTree = externalTree });
            Assert.Equal(externalTree, !info.RatchetTree.IsEmpty);
            var joined = await server.Client.ExternalJoinAsync(new ExternalJoinRequest
            {
                GroupInfo = info.GroupInfo,
                RatchetTree = info.RatchetTree,
                EncryptHandshake = encrypt,
                Identity = Bytes(name),
            });
            foreach (var member in members)
            {
                var handled = await server.Client.HandleCommitAsync(new HandleCommitRequest { StateId = member.StateId, Commit = joined.Commit });
                member.StateId = handled.StateId;
                Assert.Equal(joined.EpochAuthenticator, handled.EpochAuthenticator);
            }
            members.Add(new Member(name, joined.StateId));
            await d.VerifyGroupStateAsync(members);
        }
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task External_join_can_replace_a_prior_member(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        var info = await server.Client.GroupInfoAsync(new GroupInfoRequest { StateId = alice.StateId });
        var rejoined = await server.Client.ExternalJoinAsync(new ExternalJoinRequest
        {
            GroupInfo = info.GroupInfo,
            EncryptHandshake = encrypt,
            Identity = Bytes("bob"),
            RemovePrior = true,
        });
        var handled = await server.Client.HandleCommitAsync(new HandleCommitRequest { StateId = alice.StateId, Commit = rejoined.Commit });
        alice.StateId = handled.StateId;
        await d.VerifyGroupStateAsync([alice, new Member("bob again", rejoined.StateId)]);
        await server.Client.FreeAsync(new FreeRequest { StateId = bob.StateId });
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Update(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];

        // B proposes an Update, A commits it by reference.
        var update = (await server.Client.UpdateProposalAsync(new UpdateProposalRequest { StateId = bob.StateId })).Proposal;
        var commit = await d.CommitAsync(alice, byReference: [update]);
        await d.ApplyCommitAsync(alice, commit, [bob], [update]);
        await d.VerifyGroupStateAsync([alice, bob]);

        // A updates its own leaf with an empty Commit carrying a path.
        var pathCommit = await d.CommitAsync(alice, forcePath: true);
        await d.ApplyCommitAsync(alice, pathCommit, [bob]);
        await d.VerifyGroupStateAsync([alice, bob]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Remove(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var joined = await d.AddAsync(alice, [], "bob", "carol", "dave");
        var (bob, carol, dave) = (joined[0], joined[1], joined[2]);

        // By reference: A proposes removing B and commits it.
        var remove = (await server.Client.RemoveProposalAsync(new RemoveProposalRequest { StateId = alice.StateId, RemovedId = Bytes("bob") })).Proposal;
        var commit = await d.CommitAsync(alice, byReference: [remove]);
        await d.ApplyCommitAsync(alice, commit, [carol, dave], [remove]);
        var removed = await server.Client.HandleCommitAsync(new HandleCommitRequest { StateId = bob.StateId, Commit = commit.Commit, Proposal = { remove } });
        await d.VerifyGroupStateAsync([alice, carol, dave]);
        await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Client.ProtectAsync(new ProtectRequest { StateId = removed.StateId, Plaintext = Bytes("still here?") }));

        // By value: C removes D.
        var byValue = await d.CommitAsync(carol, byValue: [RemoveDescription("dave")]);
        await d.ApplyCommitAsync(carol, byValue, [alice]);
        await d.VerifyGroupStateAsync([alice, carol]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task External_psk(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        var pskId = Bytes("shared psk");
        var psk = ByteString.CopyFrom(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        foreach (var member in new[] { alice, bob })
        {
            await server.Client.StorePSKAsync(new StorePSKRequest { StateOrTransactionId = member.StateId, PskId = pskId, PskSecret = psk });
        }

        // By reference from B, committed by A.
        var proposal = (await server.Client.ExternalPSKProposalAsync(new ExternalPSKProposalRequest { StateId = bob.StateId, PskId = pskId })).Proposal;
        var commit = await d.CommitAsync(alice, byReference: [proposal]);
        await d.ApplyCommitAsync(alice, commit, [bob], [proposal]);
        await d.VerifyGroupStateAsync([alice, bob]);

        // By value, together with an Add: the joiner needs the PSK for the Welcome.
        var carolKeyPackage = await d.KeyPackageAsync("carol");
        await server.Client.StorePSKAsync(new StorePSKRequest { StateOrTransactionId = carolKeyPackage.TransactionId, PskId = pskId, PskSecret = psk });
        var withAdd = await d.CommitAsync(alice, byValue: [ExternalPskDescription(pskId), AddDescription(carolKeyPackage.KeyPackage)]);
        await d.ApplyCommitAsync(alice, withAdd, [bob]);
        var carol = await d.JoinAsync("carol", carolKeyPackage.TransactionId, withAdd.Welcome);
        await d.VerifyGroupStateAsync([alice, bob, carol]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Resumption_psk_of_an_earlier_epoch(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        // Epoch 1 was entered by B's Welcome; move on to epoch 2 and use epoch 1's resumption secret.
        var path = await d.CommitAsync(bob, forcePath: true);
        await d.ApplyCommitAsync(bob, path, [alice]);

        var proposal = (await server.Client.ResumptionPSKProposalAsync(new ResumptionPSKProposalRequest { StateId = alice.StateId, EpochId = 1 })).Proposal;
        var commit = await d.CommitAsync(bob, byReference: [proposal]);
        await d.ApplyCommitAsync(bob, commit, [alice], [proposal]);
        await d.VerifyGroupStateAsync([alice, bob]);

        var byValue = await d.CommitAsync(alice, byValue: [ResumptionPskDescription(2)]);
        await d.ApplyCommitAsync(alice, byValue, [bob]);
        await d.VerifyGroupStateAsync([alice, bob]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Group_context_extensions(ushort suite, bool encrypt)
    {
        var d = Driver(suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");
        var bob = (await d.AddAsync(alice, [], "bob"))[0];
        // required_capabilities: no extension or proposal types, the basic credential type.
        var request = new GroupContextExtensionsProposalRequest { StateId = bob.StateId };
        request.Extensions.Add(new Protocol.Extension { ExtensionType = 3, ExtensionData = ByteString.CopyFrom(0x00, 0x00, 0x02, 0x00, 0x01) });
        var proposal = (await server.Client.GroupContextExtensionsProposalAsync(request)).Proposal;
        var commit = await d.CommitAsync(alice, byReference: [proposal]);
        await d.ApplyCommitAsync(alice, commit, [bob], [proposal]);
        await d.VerifyGroupStateAsync([alice, bob]);
        // Members added afterwards still satisfy the requirement.
        var carol = (await d.AddAsync(bob, [alice], "carol"))[0];
        await d.VerifyGroupStateAsync([alice, bob, carol]);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task Large_group_full_lifecycle(ushort suite, bool encrypt)
    {
        const int InitialMembers = 4;
        const int GroupSize = 10;
        var random = new Random(suite * 2 + (encrypt ? 1 : 0));
        var d = Driver(suite, encrypt);
        var members = new List<Member> { await d.CreateGroupAsync("m0") };

        // The creator adds the first members, then random members add one each until the group is full.
        members.AddRange(await d.AddAsync(members[0], [], Enumerable.Range(1, InitialMembers - 1).Select(i => $"m{i}").ToArray()));
        while (members.Count < GroupSize)
        {
            var adder = members[random.Next(members.Count)];
            members.AddRange(await d.AddAsync(adder, members.Where(m => m != adder).ToList(), $"m{members.Count}"));
        }
        await d.VerifyGroupStateAsync(members);

        // Everybody updates.
        foreach (var member in members.ToList())
        {
            var commit = await d.CommitAsync(member, forcePath: true);
            await d.ApplyCommitAsync(member, commit, members.Where(m => m != member));
        }
        await d.VerifyGroupStateAsync(members);

        // Random members remove random others until one is left.
        while (members.Count > 1)
        {
            var remover = members[random.Next(members.Count)];
            var victim = members.Where(m => m != remover).ElementAt(random.Next(members.Count - 1));
            var commit = await d.CommitAsync(remover, byValue: [RemoveDescription(victim.Name)]);
            members.Remove(victim);
            await d.ApplyCommitAsync(remover, commit, members.Where(m => m != remover));
            await server.Client.FreeAsync(new FreeRequest { StateId = victim.StateId });
            if (members.Count > 1)
            {
                await d.VerifyGroupStateAsync(members);
            }
        }
    }
}
