// RFC 9420 §9.2 (a sender's keys are deleted once used) and §14 (the delivery service may hand a member
// its own messages back): a member's own echoed messages are recognized, without weakening replay
// protection for anyone else's.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;
using static Parley.Mls.Tests.Group.GroupScenario;

namespace Parley.Mls.Tests.Group;

public sealed class OwnMessageEchoTests
{
    private static readonly CipherSuite Suite1 = CipherSuite.Get(1);

    private static readonly MlsGroupOptions Encrypted = MlsGroupOptions.Default with { EncryptHandshakeMessages = true };

    [Fact]
    public void An_own_application_message_echoed_back_is_recognized_as_own()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] message = s.Groups[0].EncryptApplicationMessage("hello"u8, "aad"u8.ToArray()).ToBytes();
        for (int i = 0; i < 2; i++)
        {
            var own = Assert.IsType<OwnMessage>(s.Groups[0].ProcessMessage(message));
            Assert.Equal(ContentType.Application, own.ContentType);
            Assert.Equal(Sender.Member(s.Groups[0].OwnLeafIndex), own.Sender);
            Assert.Equal(s.Clients[0].Credential, own.SenderCredential);
            Assert.Equal("aad"u8.ToArray(), own.AuthenticatedData);
            Assert.Equal(s.Groups[0].Epoch, own.Epoch);
        }
        // The receiver reads it once; a replay to the receiver still fails.
        Assert.IsType<ApplicationMessage>(s.Groups[1].ProcessMessage(message));
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => s.Groups[1].ProcessMessage(message));
    }

    [Fact]
    public void A_tampered_copy_of_an_own_message_is_not_taken_as_own()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] message = s.Groups[0].EncryptApplicationMessage("hello"u8).ToBytes();
        message[^1] ^= 1;
        MlsAssert.Fails(MlsError.GenerationUnavailable, () => s.Groups[0].ProcessMessage(message));
        MlsAssert.Fails(MlsError.ContentUndecryptable, () => s.Groups[1].ProcessMessage(message));
    }

    [Fact]
    public void An_own_encrypted_proposal_echoed_back_is_recognized_and_stays_cached_once()
    {
        using var s = Start(Suite1, Encrypted, "alice", "bob");
        var proposal = s.Groups[1].ProposeUpdate();
        Assert.Equal(WireFormat.MlsPrivateMessage, proposal.WireFormat);
        var own = Assert.IsType<OwnMessage>(s.Groups[1].ProcessMessage(proposal.ToBytes()));
        Assert.Equal(ContentType.Proposal, own.ContentType);
        Assert.Single(s.Groups[1].PendingProposals);
        Deliver(proposal, [s.Groups[0]]);
        var commit = s.Groups[0].Commit();
        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void An_own_commit_echoed_after_merging_is_recognized_as_own()
    {
        using var s = Start(Suite1, Encrypted, "alice", "bob");
        byte[] commit = s.Groups[0].Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        Assert.IsType<CommitMessage>(s.Groups[0].ProcessMessage(commit));
        var own = Assert.IsType<OwnMessage>(s.Groups[0].ProcessMessage(commit));
        Assert.Equal(ContentType.Commit, own.ContentType);
        Assert.Equal(s.Groups[0].Epoch - 1, own.Epoch);
        s.Groups[1].ProcessMessage(commit);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void An_echo_of_a_discarded_commit_is_an_error_not_an_own_message()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] first = s.Groups[0].Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        s.Groups[0].DiscardPendingCommit();
        MlsAssert.Fails(MlsError.OwnCommitUnknown, () => s.Groups[0].ProcessMessage(first));
        // A Commit replaced by a newer one is discarded too.
        byte[] second = s.Groups[0].Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        byte[] third = s.Groups[0].Commit(new CommitOptions { ForcePath = true }).Commit.ToBytes();
        MlsAssert.Fails(MlsError.OwnCommitUnknown, () => s.Groups[0].ProcessMessage(second));
        Assert.IsType<CommitMessage>(s.Groups[0].ProcessMessage(third));
        s.Groups[1].ProcessMessage(third);
        AssertInSync(s.Groups);
    }

    [Fact]
    public void Own_messages_of_the_previous_epoch_are_recognized_but_not_older_ones()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] message = s.Groups[0].EncryptApplicationMessage("before the commit"u8).ToBytes();
        for (int i = 0; i < 2; i++)
        {
            var commit = s.Groups[1].Commit(new CommitOptions { ForcePath = true });
            s.Groups[1].MergePendingCommit();
            Deliver(commit.Commit, [s.Groups[0]]);
            if (i == 0)
            {
                Assert.IsType<OwnMessage>(s.Groups[0].ProcessMessage(message));
            }
        }
        MlsAssert.Fails(MlsError.WrongEpoch, () => s.Groups[0].ProcessMessage(message));
    }

    [Fact]
    public void Own_messages_are_still_recognized_after_a_restore()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] message = s.Groups[0].EncryptApplicationMessage("persisted"u8).ToBytes();
        using var restored = MlsGroup.Restore(s.Groups[0].Serialize());
        Assert.IsType<OwnMessage>(restored.ProcessMessage(message));
        Assert.Equal(s.Groups[0].Serialize(), restored.Serialize());
    }

    [Fact]
    public void A_member_in_a_closed_group_still_recognizes_its_echoed_reinit_commit()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        var commit = s.Groups[0].Commit(new CommitOptions { Proposals = [new ReInit("next"u8.ToArray(), ProtocolVersion.Mls10, 1, [])] });
        s.Groups[0].MergePendingCommit();
        Assert.False(s.Groups[0].IsActive);
        Assert.IsType<OwnMessage>(s.Groups[0].ProcessMessage(commit.Commit.ToBytes()));
    }
}
