// RFC 9420 §11 (group creation), §12.1 (proposals), §12.4 (commits), §12.4.3 (joining) and §6
// (message protection): end-to-end scenarios between several members.
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Group;

public sealed class MlsGroupTests
{
    private static readonly CipherSuite Suite1 = CipherSuite.Get(1);

    private sealed class Scenario : IDisposable
    {
        public List<GroupTestClient> Clients { get; } = new();

        public List<MlsGroup> Groups { get; } = new();

        public void Dispose()
        {
            foreach (var g in Groups)
            {
                g.Dispose();
            }
        }
    }

    // Alice creates the group and adds the others with one Commit; everybody joins from the Welcome.
    private static Scenario Start(int members, CipherSuite? suite = null, MlsGroupOptions? options = null)
    {
        suite ??= Suite1;
        var s = new Scenario();
        for (int i = 0; i < members; i++)
        {
            s.Clients.Add(new GroupTestClient(suite, $"member-{i}"));
        }
        var alice = s.Clients[0].CreateGroup(Encoding.UTF8.GetBytes("group"), options);
        s.Groups.Add(alice);
        if (members == 1)
        {
            return s;
        }
        var bundles = s.Clients.Skip(1).Select(c => c.NewKeyPackage()).ToList();
        var result = alice.Commit(new CommitOptions { Proposals = bundles.Select(b => (Proposal)new Add(b.KeyPackage)).ToArray() });
        alice.MergePendingCommit();
        Assert.NotNull(result.Welcome);
        byte[] welcome = result.Welcome!.ToBytes();
        foreach (var b in bundles)
        {
            s.Groups.Add(MlsGroup.JoinFromWelcome(MlsMessage.Decode(welcome), b, options: options));
            b.Dispose();
        }
        return s;
    }

    private static void Deliver(MlsMessage message, IEnumerable<MlsGroup> receivers)
    {
        byte[] bytes = message.ToBytes();
        foreach (var g in receivers)
        {
            g.ProcessMessage(bytes);
        }
    }

    private static void AssertInSync(IEnumerable<MlsGroup> groups)
    {
        var list = groups.ToList();
        foreach (var g in list.Skip(1))
        {
            Assert.Equal(list[0].Epoch, g.Epoch);
            Assert.Equal(list[0].EpochAuthenticator, g.EpochAuthenticator);
            Assert.Equal(list[0].Context, g.Context);
            Assert.Equal(list[0].Export("test", "ctx"u8, 32), g.Export("test", "ctx"u8, 32));
        }
    }

    [Fact]
    public void A_new_group_has_one_member_at_epoch_zero()
    {
        using var s = Start(1);
        var g = s.Groups[0];
        Assert.Equal(0ul, g.Epoch);
        Assert.Single(g.Members);
        Assert.Equal(new LeafIndex(0), g.OwnLeafIndex);
        Assert.Equal(s.Clients[0].Credential, g.Members[0].Credential);
    }

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    [InlineData((ushort)3)]
    [InlineData((ushort)4)]
    [InlineData((ushort)5)]
    [InlineData((ushort)6)]
    [InlineData((ushort)7)]
    public void Adding_three_members_in_one_commit_brings_everybody_to_the_same_epoch(ushort suite)
    {
        using var s = Start(4, CipherSuite.Get(suite));
        Assert.All(s.Groups, g => Assert.Equal(1ul, g.Epoch));
        Assert.All(s.Groups, g => Assert.Equal(4, g.Members.Count));
        AssertInSync(s.Groups);
        Assert.Equal([0u, 1u, 2u, 3u], s.Groups.Select(g => g.OwnLeafIndex.Value));
    }

    [Fact]
    public void Application_messages_flow_both_ways()
    {
        using var s = Start(3);
        var msg = s.Groups[0].EncryptApplicationMessage("hello"u8, "aad"u8.ToArray());
        var received = Assert.IsType<ApplicationMessage>(s.Groups[1].ProcessMessage(msg.ToBytes()));
        Assert.Equal("hello"u8.ToArray(), received.Data);
        Assert.Equal("aad"u8.ToArray(), received.AuthenticatedData);
        Assert.Equal(s.Clients[0].Credential, received.SenderCredential);
        Assert.Equal("hello"u8.ToArray(), Assert.IsType<ApplicationMessage>(s.Groups[2].ProcessMessage(msg.ToBytes())).Data);

        var reply = s.Groups[2].EncryptApplicationMessage("hi back"u8);
        Assert.Equal("hi back"u8.ToArray(), Assert.IsType<ApplicationMessage>(s.Groups[0].ProcessMessage(reply.ToBytes())).Data);
    }

    [Fact]
    public void A_replayed_application_message_is_rejected()
    {
        using var s = Start(2);
        byte[] msg = s.Groups[0].EncryptApplicationMessage("once"u8).ToBytes();
        s.Groups[1].ProcessMessage(msg);
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => s.Groups[1].ProcessMessage(msg));
    }

    [Fact]
    public void An_empty_commit_updates_the_committers_path()
    {
        using var s = Start(4);
        var bob = s.Groups[1];
        byte[] before = bob.ExportRatchetTree()[2]!.Leaf!.EncryptionKey;
        var result = bob.Commit();
        Assert.Null(result.Welcome);
        Assert.NotNull(MlsMessage.Decode(result.Commit.ToBytes()).PublicMessage!.Content.Commit!.Path);
        var summary = bob.MergePendingCommit();
        Assert.Empty(summary.Proposals);
        Deliver(result.Commit, s.Groups.Where(g => g != bob));
        AssertInSync(s.Groups);
        Assert.NotEqual(before, bob.ExportRatchetTree()[2]!.Leaf!.EncryptionKey);
    }

    [Fact]
    public void An_update_proposal_committed_by_another_member_rekeys_the_proposer()
    {
        using var s = Start(3);
        var (alice, bob, carol) = (s.Groups[0], s.Groups[1], s.Groups[2]);
        var update = bob.ProposeUpdate();
        Deliver(update, [alice, carol]);
        var commit = alice.Commit();
        alice.MergePendingCommit();
        var processed = Assert.IsType<CommitMessage>(bob.ProcessMessage(commit.Commit.ToBytes()));
        Assert.Single(processed.Proposals);
        Assert.IsType<Update>(processed.Proposals[0].Proposal);
        carol.ProcessMessage(commit.Commit.ToBytes());
        AssertInSync(s.Groups);

        // Bob can still decrypt a path secret encrypted to his new leaf key.
        var next = carol.Commit();
        carol.MergePendingCommit();
        Deliver(next.Commit, [alice, bob]);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_removed_member_learns_it_and_cannot_read_the_next_epoch()
    {
        using var s = Start(3);
        var (alice, bob, carol) = (s.Groups[0], s.Groups[1], s.Groups[2]);
        var commit = alice.Commit(new CommitOptions { Proposals = [new Remove(carol.OwnLeafIndex)] });
        alice.MergePendingCommit();
        Deliver(commit.Commit, [bob]);
        var carolView = Assert.IsType<CommitMessage>(carol.ProcessMessage(commit.Commit.ToBytes()));
        Assert.True(carolView.SelfRemoved);
        Assert.False(carol.IsActive);
        Assert.Equal(2, alice.Members.Count);
        AssertInSync([alice, bob]);

        var secret = alice.EncryptApplicationMessage("without carol"u8);
        Assert.Equal("without carol"u8.ToArray(), Assert.IsType<ApplicationMessage>(bob.ProcessMessage(secret.ToBytes())).Data);
        MlsAssert.Fails(MlsError.GroupInactive, () => carol.ProcessMessage(secret.ToBytes()));
        MlsAssert.Fails(MlsError.GroupInactive, () => carol.EncryptApplicationMessage("x"u8));
    }

    [Fact]
    public void A_remove_proposal_by_reference_is_committed_by_another_member()
    {
        using var s = Start(4);
        var proposal = s.Groups[1].ProposeRemove(new LeafIndex(3));
        Deliver(proposal, [s.Groups[0], s.Groups[2], s.Groups[3]]);
        var commit = s.Groups[2].Commit();
        s.Groups[2].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[0], s.Groups[1]]);
        Assert.True(Assert.IsType<CommitMessage>(s.Groups[3].ProcessMessage(commit.Commit.ToBytes())).SelfRemoved);
        AssertInSync(s.Groups.Take(3));
        Assert.Equal(3, s.Groups[0].Members.Count);
    }

    [Fact]
    public void Members_added_later_join_an_existing_group()
    {
        using var s = Start(3);
        var dave = new GroupTestClient(Suite1, "dave");
        using var kp = dave.NewKeyPackage();
        var add = s.Groups[1].ProposeAdd(kp.KeyPackage);
        Deliver(add, [s.Groups[0], s.Groups[2]]);
        var commit = s.Groups[0].Commit(new CommitOptions { ForcePath = true });
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1], s.Groups[2]]);
        s.Groups.Add(MlsGroup.JoinFromWelcome(commit.Welcome!, kp));
        AssertInSync(s.Groups);
        Assert.Equal(4, s.Groups[3].Members.Count);
    }

    [Fact]
    public void A_welcome_without_the_tree_needs_the_tree_out_of_band()
    {
        using var s = Start(2);
        var carol = new GroupTestClient(Suite1, "carol");
        using var kp = carol.NewKeyPackage();
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [new Add(kp.KeyPackage)], RatchetTreeInWelcome = false });
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);
        MlsAssert.Fails(MlsError.RatchetTreeMissing, () => MlsGroup.JoinFromWelcome(commit.Welcome!, kp));
        s.Groups.Add(MlsGroup.JoinFromWelcome(commit.Welcome!, kp, s.Groups[0].ExportRatchetTree()));
        AssertInSync(s.Groups);
    }

    [Fact]
    public void The_exporter_is_equal_across_members_and_differs_between_epochs()
    {
        using var s = Start(3);
        AssertInSync(s.Groups);
        byte[] before = s.Groups[0].Export("app", "x"u8, 16);
        var commit = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, s.Groups.Skip(1));
        AssertInSync(s.Groups);
        Assert.NotEqual(before, s.Groups[0].Export("app", "x"u8, 16));
    }

    [Fact]
    public void An_external_joiner_commits_itself_into_the_group()
    {
        using var s = Start(3);
        var groupInfo = s.Groups[0].CreateGroupInfo();
        var eve = new GroupTestClient(Suite1, "eve");
        var (eveGroup, commit) = MlsGroup.JoinByExternalCommit(
            MlsMessage.Decode(new MlsMessage(groupInfo).ToBytes()).GroupInfo!, eve.Credential, eve.SignatureKeys);
        s.Groups.Add(eveGroup);
        foreach (var g in s.Groups.Take(3))
        {
            var summary = Assert.IsType<CommitMessage>(g.ProcessMessage(commit.ToBytes()));
            Assert.Equal(SenderType.NewMemberCommit, summary.Sender.Type);
            Assert.Equal([eveGroup.OwnLeafIndex], summary.AddedMembers);
        }
        AssertInSync(s.Groups);
        var hello = eveGroup.EncryptApplicationMessage("hi, I'm eve"u8);
        Assert.Equal(eve.Credential, Assert.IsType<ApplicationMessage>(s.Groups[0].ProcessMessage(hello.ToBytes())).SenderCredential);
    }

    [Fact]
    public void An_external_commit_can_resync_a_members_own_leaf()
    {
        using var s = Start(3);
        var bob = s.Clients[1];
        var groupInfo = s.Groups[0].CreateGroupInfo();
        var (bobAgain, commit) = MlsGroup.JoinByExternalCommit(groupInfo, bob.Credential, bob.SignatureKeys,
            joinOptions: new ExternalJoinOptions { RemoveLeaf = new LeafIndex(1) });
        Deliver(commit, [s.Groups[0], s.Groups[2]]);
        Assert.True(Assert.IsType<CommitMessage>(s.Groups[1].ProcessMessage(commit.ToBytes())).SelfRemoved);
        s.Groups[1].Dispose();
        s.Groups[1] = bobAgain;
        AssertInSync(s.Groups);
        Assert.Equal(3, bobAgain.Members.Count);
    }

    [Fact]
    public void An_external_psk_proposal_enters_the_key_schedule()
    {
        byte[] pskId = "psk-1"u8.ToArray();
        using var store = new PskStore();
        store.AddExternal(pskId, Enumerable.Repeat((byte)7, 32).ToArray());
        var options = MlsGroupOptions.Default with { PskStore = store };
        using var s = Start(3, options: options);
        var proposal = s.Groups[1].ProposeExternalPsk(pskId);
        Deliver(proposal, [s.Groups[0], s.Groups[2]]);
        var commit = s.Groups[0].Commit();
        Assert.Null(MlsMessage.Decode(commit.Commit.ToBytes()).PublicMessage!.Content.Commit!.Path);
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1], s.Groups[2]]);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_commit_naming_a_psk_the_receiver_lacks_is_rejected_and_changes_nothing()
    {
        byte[] pskId = "only-alice"u8.ToArray();
        using var store = new PskStore();
        store.AddExternal(pskId, new byte[32]);
        using var s = Start(2, options: MlsGroupOptions.Default with { PskStore = store });
        using var bobWithoutPsk = MlsGroup.Restore(s.Groups[1].Serialize());
        MlsAssert.Fails(MlsError.PskUnavailable, () => bobWithoutPsk.Commit(new CommitOptions { Proposals = [bobWithoutPsk.CreateExternalPskProposal(pskId)] }));

        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [s.Groups[0].CreateExternalPskProposal(pskId)] });
        byte[] before = bobWithoutPsk.Serialize();
        MlsAssert.Fails(MlsError.PskUnavailable, () => bobWithoutPsk.ProcessMessage(commit.Commit.ToBytes()));
        Assert.Equal(before, bobWithoutPsk.Serialize());
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_resumption_psk_of_an_earlier_epoch_can_be_injected()
    {
        using var s = Start(2);
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [s.Groups[0].CreateResumptionPskProposal(1)] });
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);
        AssertInSync(s.Groups);
        Assert.Equal(2ul, s.Groups[1].Epoch);
    }

    [Fact]
    public void A_group_context_extensions_proposal_changes_the_context()
    {
        using var s = Start(3);
        var external = new GroupTestClient(Suite1, "server");
        var senders = new Extension(ExtensionType.ExternalSenders, ExternalSender.EncodeList([new ExternalSender(external.SignatureKeys.PublicKey, external.Credential)]));
        var proposal = s.Groups[2].ProposeGroupContextExtensions([senders]);
        Deliver(proposal, [s.Groups[0], s.Groups[1]]);
        var commit = s.Groups[1].Commit();
        s.Groups[1].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[0], s.Groups[2]]);
        AssertInSync(s.Groups);
        Assert.Equal([senders], s.Groups[0].Context.Extensions);

        // The external sender may now propose removing a member.
        var remove = MlsGroup.CreateExternalProposal(Suite1, s.Groups[0].GroupId, s.Groups[0].Epoch, 0, new Remove(new LeafIndex(2)),
            external.SignatureKeys.PrivateKey);
        Deliver(remove, s.Groups);
        var removal = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(removal.Commit, [s.Groups[1]]);
        Assert.True(Assert.IsType<CommitMessage>(s.Groups[2].ProcessMessage(removal.Commit.ToBytes())).SelfRemoved);
        AssertInSync(s.Groups.Take(2));
    }

    [Fact]
    public void An_external_proposal_from_an_unlisted_sender_is_rejected()
    {
        using var s = Start(2);
        var stranger = new GroupTestClient(Suite1, "stranger");
        var remove = MlsGroup.CreateExternalProposal(Suite1, s.Groups[0].GroupId, s.Groups[0].Epoch, 0, new Remove(new LeafIndex(1)),
            stranger.SignatureKeys.PrivateKey);
        MlsAssert.Fails(MlsError.ExternalSenderUnknown, () => s.Groups[0].ProcessMessage(remove.ToBytes()));
    }

    [Fact]
    public void A_message_for_a_stale_epoch_is_rejected()
    {
        using var s = Start(3);
        var oldProposal = s.Groups[1].ProposeRemove(new LeafIndex(2));
        var oldApplication = s.Groups[1].EncryptApplicationMessage("late"u8);
        var commit = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1], s.Groups[2]]);
        MlsAssert.Fails(MlsError.WrongEpoch, () => s.Groups[0].ProcessMessage(oldProposal.ToBytes()));
        MlsAssert.Fails(MlsError.WrongEpoch, () => s.Groups[2].ProcessMessage(commit.Commit.ToBytes()));

        // Two epochs on, the application message is too old as well.
        var next = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(next.Commit, [s.Groups[1], s.Groups[2]]);
        MlsAssert.Fails(MlsError.WrongEpoch, () => s.Groups[2].ProcessMessage(oldApplication.ToBytes()));
    }

    [Fact]
    public void An_application_message_of_the_previous_epoch_still_decrypts_after_the_commit()
    {
        using var s = Start(3);
        var late = s.Groups[1].EncryptApplicationMessage("sent before the commit"u8);
        var commit = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1], s.Groups[2]]);

        var received = Assert.IsType<ApplicationMessage>(s.Groups[2].ProcessMessage(late.ToBytes()));
        Assert.Equal("sent before the commit"u8.ToArray(), received.Data);
        Assert.Equal(1ul, received.Epoch);

        // The keys survive a save, and are gone once forgotten.
        using var restored = MlsGroup.Restore(s.Groups[0].Serialize());
        Assert.Equal("sent before the commit"u8.ToArray(), Assert.IsType<ApplicationMessage>(restored.ProcessMessage(late.ToBytes())).Data);
        s.Groups[0].ForgetPreviousEpoch();
        MlsAssert.Fails(MlsError.WrongEpoch, () => s.Groups[0].ProcessMessage(late.ToBytes()));
    }

    [Fact]
    public void A_tampered_commit_is_rejected_and_leaves_the_state_unchanged()
    {
        using var s = Start(3);
        var commit = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        byte[] before = s.Groups[1].Serialize();

        var pm = MlsMessage.Decode(commit.Commit.ToBytes()).PublicMessage!;
        var badTag = pm with { Auth = pm.Auth with { ConfirmationTag = Flip(pm.Auth.ConfirmationTag!) } };
        MlsAssert.Fails(MlsError.MembershipTagInvalid, () => s.Groups[1].ProcessMessage(new MlsMessage(badTag)));
        var badData = pm with { MembershipTag = Flip(pm.MembershipTag!) };
        MlsAssert.Fails(MlsError.MembershipTagInvalid, () => s.Groups[1].ProcessMessage(new MlsMessage(badData)));
        var badSignature = pm with { Auth = pm.Auth with { Signature = Flip(pm.Auth.Signature) } };
        MlsAssert.Fails(MlsError.MembershipTagInvalid, () => s.Groups[1].ProcessMessage(new MlsMessage(badSignature)));

        Assert.Equal(before, s.Groups[1].Serialize());
        s.Groups[1].ProcessMessage(commit.Commit.ToBytes());
        s.Groups[2].ProcessMessage(commit.Commit.ToBytes());
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_commit_framed_for_another_epoch_is_rejected_and_changes_nothing()
    {
        using var s = Start(4);
        var commit = s.Groups[0].Commit();
        var pm = MlsMessage.Decode(commit.Commit.ToBytes()).PublicMessage!;
        byte[] before = s.Groups[2].Serialize();
        var reframed = new FramedContent(pm.Content.GroupId, pm.Content.Epoch + 1, pm.Content.Sender,
            pm.Content.AuthenticatedData, pm.Content.ContentType, null, null, pm.Content.Commit);
        var wrongEpoch = pm with { Content = reframed };
        MlsAssert.Fails(MlsError.WrongEpoch, () => s.Groups[2].ProcessMessage(new MlsMessage(wrongEpoch)));
        Assert.Equal(before, s.Groups[2].Serialize());
    }

    [Fact]
    public void The_committers_own_commit_coming_back_merges_it()
    {
        using var s = Start(2);
        var commit = s.Groups[0].Commit();
        Assert.True(s.Groups[0].HasPendingCommit);
        Assert.Equal(1ul, s.Groups[0].Epoch);
        Assert.IsType<CommitMessage>(s.Groups[0].ProcessMessage(commit.Commit.ToBytes()));
        Assert.False(s.Groups[0].HasPendingCommit);
        Deliver(commit.Commit, [s.Groups[1]]);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_competing_commit_discards_the_pending_one()
    {
        using var s = Start(3);
        s.Groups[0].Commit();
        var bobs = s.Groups[1].Commit();
        s.Groups[1].MergePendingCommit();
        Deliver(bobs.Commit, [s.Groups[0], s.Groups[2]]);
        Assert.False(s.Groups[0].HasPendingCommit);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void Handshake_messages_can_be_encrypted()
    {
        var options = MlsGroupOptions.Default with { EncryptHandshakeMessages = true, Padding = PaddingPolicy.ToMultipleOf(64) };
        using var s = Start(3, options: options);
        var proposal = s.Groups[1].ProposeUpdate();
        Assert.Equal(WireFormat.MlsPrivateMessage, proposal.WireFormat);
        Deliver(proposal, [s.Groups[0], s.Groups[2]]);
        var commit = s.Groups[2].Commit();
        Assert.Equal(WireFormat.MlsPrivateMessage, commit.Commit.WireFormat);
        s.Groups[2].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[0], s.Groups[1]]);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void Serialize_and_restore_mid_conversation_keeps_working()
    {
        using var s = Start(3);
        var m1 = s.Groups[0].EncryptApplicationMessage("one"u8);
        s.Groups[1].ProcessMessage(m1.ToBytes());
        var update = s.Groups[2].ProposeUpdate();
        Deliver(update, [s.Groups[0], s.Groups[1]]);
        var pending = s.Groups[1].Commit();

        for (int i = 0; i < s.Groups.Count; i++)
        {
            byte[] saved = s.Groups[i].Serialize();
            var restored = MlsGroup.Restore(saved);
            Assert.Equal(saved, restored.Serialize());
            s.Groups[i].Dispose();
            s.Groups[i] = restored;
        }

        Assert.True(s.Groups[1].HasPendingCommit);
        s.Groups[1].MergePendingCommit();
        Deliver(pending.Commit, [s.Groups[0], s.Groups[2]]);
        AssertInSync(s.Groups);
        var m2 = s.Groups[2].EncryptApplicationMessage("two"u8);
        Assert.Equal("two"u8.ToArray(), Assert.IsType<ApplicationMessage>(s.Groups[0].ProcessMessage(m2.ToBytes())).Data);
        // The receiving ratchet state survived the round trip: the old message is not accepted twice.
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => s.Groups[1].ProcessMessage(m1.ToBytes()));
    }

    [Fact]
    public void A_group_of_fifty_created_by_one_commit_works()
    {
        using var s = Start(50);
        AssertInSync(s.Groups);
        Assert.All(s.Groups, g => Assert.Equal(50, g.Members.Count));
        var commit = s.Groups[37].Commit();
        s.Groups[37].MergePendingCommit();
        Deliver(commit.Commit, s.Groups.Where((_, i) => i != 37));
        AssertInSync(s.Groups);
        var msg = s.Groups[49].EncryptApplicationMessage("fifty"u8);
        foreach (var g in s.Groups.Take(49))
        {
            Assert.Equal("fifty"u8.ToArray(), Assert.IsType<ApplicationMessage>(g.ProcessMessage(msg.ToBytes())).Data);
        }
    }

    [Fact]
    public void A_commit_may_not_remove_the_committer()
    {
        using var s = Start(2);
        MlsAssert.Fails(MlsError.RemoveOfCommitter, () => s.Groups[0].Commit(new CommitOptions { Proposals = [new Remove(new LeafIndex(0))] }));
        Assert.False(s.Groups[0].HasPendingCommit);
    }

    [Fact]
    public void Adding_a_member_twice_in_one_commit_is_rejected()
    {
        using var s = Start(1);
        using var kp = new GroupTestClient(Suite1, "bob").NewKeyPackage();
        MlsAssert.Fails(MlsError.EncryptionKeyNotUnique, () => s.Groups[0].Commit(new CommitOptions { Proposals = [new Add(kp.KeyPackage), new Add(kp.KeyPackage)] }));
    }

    [Fact]
    public void A_key_package_with_a_bad_signature_cannot_be_added()
    {
        using var s = Start(1);
        using var kp = new GroupTestClient(Suite1, "bob").NewKeyPackage();
        var forged = kp.KeyPackage with { Signature = Flip(kp.KeyPackage.Signature) };
        MlsAssert.Fails(MlsError.KeyPackageSignatureInvalid, () => s.Groups[0].Commit(new CommitOptions { Proposals = [new Add(forged)] }));
    }

    [Fact]
    public void Key_package_lifetimes_are_checked_when_the_application_gives_the_time()
    {
        var options = MlsGroupOptions.Default with { Now = () => 1000 };
        var bob = new GroupTestClient(Suite1, "bob");
        using var expired = KeyPackageBundle.Create(Suite1, bob.Credential, bob.SignatureKeys, new Lifetime(0, 999));
        using var alice = new GroupTestClient(Suite1, "alice").CreateGroup("g"u8.ToArray(), options);
        MlsAssert.Fails(MlsError.LeafNodeLifetimeExpired, () => alice.Commit(new CommitOptions { Proposals = [new Add(expired.KeyPackage)] }));
    }

    [Fact]
    public void Reinit_closes_the_group()
    {
        using var s = Start(2);
        var reInit = new ReInit("new-group"u8.ToArray(), ProtocolVersion.Mls10, 1, []);
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [reInit] });
        s.Groups[0].MergePendingCommit();
        var summary = Assert.IsType<CommitMessage>(s.Groups[1].ProcessMessage(commit.Commit.ToBytes()));
        Assert.Equal(reInit, summary.ReInit);
        Assert.False(s.Groups[1].IsActive);
        MlsAssert.Fails(MlsError.GroupInactive, () => s.Groups[1].EncryptApplicationMessage("x"u8));
    }

    [Fact]
    public void A_disposed_group_refuses_to_work()
    {
        var s = Start(1);
        s.Groups[0].Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Groups[0].Commit());
    }

    [Fact]
    public void A_client_can_ask_to_join_with_a_new_member_proposal()
    {
        using var s = Start(2);
        var dave = new GroupTestClient(Suite1, "dave");
        using var kp = dave.NewKeyPackage();
        var ask = MlsGroup.CreateJoinProposal(kp, s.Groups[0].GroupId, s.Groups[0].Epoch);
        var received = Assert.IsType<ProposalMessage>(s.Groups[0].ProcessMessage(ask.ToBytes()));
        Assert.Equal(SenderType.NewMemberProposal, received.Sender.Type);
        s.Groups[1].ProcessMessage(ask.ToBytes());
        var commit = s.Groups[1].Commit();
        s.Groups[1].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[0]]);
        s.Groups.Add(MlsGroup.JoinFromWelcome(commit.Welcome!, kp));
        AssertInSync(s.Groups);
    }

    [Fact]
    public void A_welcome_for_another_key_package_is_rejected()
    {
        using var s = Start(1);
        using var invited = new GroupTestClient(Suite1, "bob").NewKeyPackage();
        using var stranger = new GroupTestClient(Suite1, "mallory").NewKeyPackage();
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [new Add(invited.KeyPackage)] });
        MlsAssert.Fails(MlsError.WelcomeNotForKeyPackage, () => MlsGroup.JoinFromWelcome(commit.Welcome!, stranger));
    }

    [Fact]
    public void A_tree_that_does_not_match_the_group_info_is_rejected()
    {
        using var s = Start(3);
        var carol = new GroupTestClient(Suite1, "carol");
        using var kp = carol.NewKeyPackage();
        var staleTree = s.Groups[0].ExportRatchetTree();
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [new Add(kp.KeyPackage)], RatchetTreeInWelcome = false });
        MlsAssert.Fails(MlsError.TreeHashMismatch, () => MlsGroup.JoinFromWelcome(commit.Welcome!, kp, staleTree));
    }

    [Fact]
    public void A_commit_referring_to_an_unknown_proposal_is_rejected()
    {
        using var s = Start(3);
        var proposal = s.Groups[1].ProposeRemove(new LeafIndex(2));
        s.Groups[0].ProcessMessage(proposal.ToBytes());
        var commit = s.Groups[0].Commit();
        byte[] before = s.Groups[2].Serialize();
        MlsAssert.Fails(MlsError.ProposalNotReceived, () => s.Groups[2].ProcessMessage(commit.Commit.ToBytes()));
        Assert.Equal(before, s.Groups[2].Serialize());
    }

    [Fact]
    public void The_credential_validator_decides_who_may_be_added()
    {
        var options = MlsGroupOptions.Default with { CredentialValidator = new RejectingValidator("mallory") };
        using var alice = new GroupTestClient(Suite1, "alice").CreateGroup("g"u8.ToArray(), options);
        using var mallory = new GroupTestClient(Suite1, "mallory").NewKeyPackage();
        using var bob = new GroupTestClient(Suite1, "bob").NewKeyPackage();
        MlsAssert.Fails(MlsError.CredentialRejected, () => alice.Commit(new CommitOptions { Proposals = [new Add(mallory.KeyPackage)] }));
        alice.Commit(new CommitOptions { Proposals = [new Add(bob.KeyPackage)] });
        alice.MergePendingCommit();
        Assert.Equal(2, alice.Members.Count);
    }

    [Fact]
    public void An_invalid_proposal_is_rejected_when_received()
    {
        using var s = Start(2);
        using var kp = new GroupTestClient(Suite1, "x").NewKeyPackage();
        var wrongSuite = kp.KeyPackage with { CipherSuite = 2 };
        var proposal = s.Groups[1].Propose(new Add(wrongSuite));
        MlsAssert.Fails(MlsError.KeyPackageVersionOrSuite, () => s.Groups[0].ProcessMessage(proposal.ToBytes()));
        Assert.Empty(s.Groups[0].PendingProposals);
    }

    [Fact]
    public void A_removed_members_state_still_serializes()
    {
        using var s = Start(2);
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [new Remove(new LeafIndex(1))] });
        s.Groups[1].ProcessMessage(commit.Commit.ToBytes());
        byte[] saved = s.Groups[1].Serialize();
        using var restored = MlsGroup.Restore(saved);
        Assert.False(restored.IsActive);
        Assert.Equal(saved, restored.Serialize());
    }

    [Fact]
    public void Garbage_state_does_not_restore()
    {
        using var s = Start(2);
        byte[] saved = s.Groups[0].Serialize();
        Assert.ThrowsAny<MlsException>(() => MlsGroup.Restore(saved.AsMemory(0, saved.Length - 1)));
        Assert.ThrowsAny<MlsException>(() => MlsGroup.Restore(saved.Concat(new byte[] { 0 }).ToArray()));
    }

    [Fact]
    public void Key_packages_carry_their_keys_and_a_valid_signature()
    {
        var client = new GroupTestClient(Suite1, "kp");
        using var bundle = client.NewKeyPackage();
        var kp = MlsMessage.Decode(bundle.ToMessageBytes()).KeyPackage!;
        Assert.True(kp.Verify(Suite1));
        Assert.True(kp.LeafNode.Verify(Suite1));
        Assert.Equal(LeafNodeSource.KeyPackage, kp.LeafNode.Source);
        Assert.NotEqual(kp.InitKey, kp.LeafNode.EncryptionKey);
        Assert.Equal(bundle.Ref, kp.Ref(Suite1));
        MlsAssert.Fails(MlsError.KeyPackagePrivateKeyMismatch, () => KeyPackageBundle.FromPrivateKeys(kp, new byte[32], new byte[32], new byte[32]));
    }

    private sealed class RejectingValidator(string rejected) : ICredentialValidator
    {
        public bool IsValid(Credential credential, ReadOnlySpan<byte> signatureKey)
            => BasicCredentialValidator.Instance.IsValid(credential, signatureKey)
               && Encoding.UTF8.GetString(credential.Identity!) != rejected;
    }

    private static byte[] Flip(byte[] value)
    {
        byte[] copy = (byte[])value.Clone();
        copy[^1] ^= 1;
        return copy;
    }
}
