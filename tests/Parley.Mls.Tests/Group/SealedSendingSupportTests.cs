// RFC 9420 §8.5 (exporter) and §6.1 (FramedContentTBS signatures): what sealed sending needs from a member's group — the
// exporter of the epoch its pending Commit starts, and a received message's signature with the context it covers.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Xunit;
using static Parley.Mls.Tests.Group.GroupScenario;

namespace Parley.Mls.Tests.Group;

public sealed class SealedSendingSupportTests
{
    private static readonly CipherSuite Suite1 = CipherSuite.Get(1);

    [Fact]
    public void The_exporter_of_a_pending_commits_epoch_is_what_every_member_exports_in_that_epoch()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        var commit = s.Groups[0].Commit();
        byte[] announced = s.Groups[0].ExportPending("parley sealed sender", "g"u8, 32);
        Assert.NotEqual(s.Groups[0].Export("parley sealed sender", "g"u8, 32), announced);

        s.Groups[0].MergePendingCommit();
        Deliver(commit.Commit, [s.Groups[1]]);

        Assert.Equal(announced, s.Groups[0].Export("parley sealed sender", "g"u8, 32));
        Assert.Equal(announced, s.Groups[1].Export("parley sealed sender", "g"u8, 32));
        Assert.Throws<InvalidOperationException>(() => s.Groups[0].ExportPending("parley sealed sender", "g"u8, 32));
    }

    [Fact]
    public void A_received_messages_authentication_verifies_under_the_senders_key_and_no_other()
    {
        using var s = Start(Suite1, null, "alice", "bob");
        byte[] message = s.Groups[0].EncryptApplicationMessage("hello"u8, "aad"u8.ToArray()).ToBytes();

        var received = Assert.IsType<ApplicationMessage>(s.Groups[1].ProcessMessage(message));

        var authentication = Assert.IsType<ContentAuthentication>(received.Authentication);
        GroupContext context = TlsReader.Decode(authentication.GroupContext, GroupContext.Decode);
        Assert.Equal(s.Groups[1].Context.Epoch, context.Epoch);
        var content = new AuthenticatedContent(WireFormat.MlsPrivateMessage,
            FramedContent.ForApplication(context.GroupId, context.Epoch, received.Sender, received.AuthenticatedData, received.Data),
            new FramedContentAuthData(authentication.Signature, null));
        MessageProtection.VerifySignature(Suite1, content, s.Groups[1].MemberAt(received.Sender.LeafIndex)!.SignatureKey, context);
        Assert.Throws<MlsProtocolException>(() =>
            MessageProtection.VerifySignature(Suite1, content, s.Groups[1].MemberAt(s.Groups[1].OwnLeafIndex)!.SignatureKey, context));
    }
}
