// RFC 9420 §12.4.2 (a receiver validates a Commit before it acts on it) and §12.4.3.2 (an external
// Commit may only remove the joiner's own earlier leaf): a forged Commit never makes a member leave.
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Xunit;

namespace Parley.Mls.Tests.Group;

public sealed class ForgedCommitTests
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);

    [Fact]
    public void An_external_commit_removing_another_member_is_rejected_and_that_member_stays()
    {
        using var pair = Pair.Start();
        var eve = new GroupTestClient(Suite, "eve");
        // Eve holds everything public: the GroupInfo with the tree and external_pub, so her path and signature are well formed.
        var forged = ForgeExternalCommit(pair.Alice.CreateGroupInfo(), eve, removeLeaf: 1, garblePath: false);

        MlsAssert.Fails(MlsError.ExternalCommitProposalsInvalid, () => pair.Bob.ProcessMessage(forged.ToBytes()));

        Assert.True(pair.Bob.IsActive);
        Assert.Equal(1ul, pair.Bob.Epoch);
        pair.AssertStillTalking();
    }

    [Fact]
    public void An_external_commit_with_a_garbled_path_is_rejected_by_the_member_it_removes()
    {
        using var pair = Pair.Start();
        var bob = pair.BobClient;
        // Even naming the removed member's own credential, an invalid path leaf signature is refused before removal.
        var forged = ForgeExternalCommit(pair.Alice.CreateGroupInfo(), bob, removeLeaf: 1, garblePath: true);

        MlsAssert.Fails(MlsError.LeafNodeSignatureInvalid, () => pair.Bob.ProcessMessage(forged.ToBytes()));

        Assert.True(pair.Bob.IsActive);
        pair.AssertStillTalking();
    }

    // An external Commit built from a GroupInfo as MlsGroup.JoinByExternalCommit builds one, but with a Remove
    // of any leaf; garblePath zeroes the new leaf's signature.
    private static MlsMessage ForgeExternalCommit(GroupInfo groupInfo, GroupTestClient joiner, uint removeLeaf, bool garblePath)
    {
        var context = groupInfo.GroupContext;
        var tree = WelcomeJoin.LoadTree(Suite, groupInfo, null);
        var externalPub = GroupExtensions.ExternalPub(groupInfo.Extensions)!;
        var (kemOutput, hpke) = Suite.Hpke.SetupBaseS(externalPub.PublicKey, ReadOnlySpan<byte>.Empty);
        hpke.Dispose();
        var next = tree.Clone();
        next.RemoveLeaf(new LeafIndex(removeLeaf));
        var template = new LeafNode([], joiner.SignatureKeys.PublicKey, joiner.Credential, KeyPackageBundle.DefaultCapabilities(Suite),
            LeafNodeSource.Commit, null, [], [], []);
        var ownLeaf = next.ReserveLeaf();
        using var prepared = TreeKem.PrepareUpdatePath(next, ownLeaf, template, joiner.SignatureKeys.PrivateKey, context.GroupId);
        var provisional = context with { Epoch = context.Epoch + 1, TreeHash = prepared.Tree.TreeHash() };
        var path = prepared.Encrypt(provisional.ToBytes());
        if (garblePath)
        {
            path = path with { LeafNode = path.LeafNode with { Signature = new byte[path.LeafNode.Signature.Length] } };
        }
        var commit = new Commit([new ProposalOrRef(new ExternalInit(kemOutput)), new ProposalOrRef(new Remove(new LeafIndex(removeLeaf)))], path);
        var framed = FramedContent.ForCommit(context.GroupId, context.Epoch, Sender.NewMemberCommit, [], commit);
        var content = MessageProtection.Sign(Suite, WireFormat.MlsPublicMessage, framed, joiner.SignatureKeys.PrivateKey, context)
            .WithConfirmationTag(RandomNumberGenerator.GetBytes(Suite.HashLength));
        return new MlsMessage(MessageProtection.ProtectPublic(Suite, content, context, ReadOnlySpan<byte>.Empty));
    }

    private sealed class Pair : IDisposable
    {
        private Pair(GroupTestClient bobClient, MlsGroup alice, MlsGroup bob)
        {
            BobClient = bobClient;
            Alice = alice;
            Bob = bob;
        }

        public GroupTestClient BobClient { get; }

        public MlsGroup Alice { get; }

        public MlsGroup Bob { get; }

        public static Pair Start()
        {
            var alice = new GroupTestClient(Suite, "alice").CreateGroup(Encoding.UTF8.GetBytes("forged-commit-group"));
            var bobClient = new GroupTestClient(Suite, "bob");
            using var bundle = bobClient.NewKeyPackage();
            var result = alice.Commit(new CommitOptions { Proposals = [new Add(bundle.KeyPackage)] });
            alice.MergePendingCommit();
            var bob = MlsGroup.JoinFromWelcome(MlsMessage.Decode(result.Welcome!.ToBytes()), bundle);
            return new Pair(bobClient, alice, bob);
        }

        public void AssertStillTalking()
        {
            var message = Alice.EncryptApplicationMessage("still here"u8);
            var received = Assert.IsType<ApplicationMessage>(Bob.ProcessMessage(message.ToBytes()));
            Assert.Equal("still here"u8.ToArray(), received.Data);
        }

        public void Dispose()
        {
            Alice.Dispose();
            Bob.Dispose();
        }
    }
}
