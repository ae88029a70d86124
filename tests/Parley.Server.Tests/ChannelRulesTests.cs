using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Tests;

/// <summary>The private channel rules as <see cref="GroupRules"/> applies them, and the channel extension's codec.</summary>
public sealed class ChannelRulesTests
{
    private static readonly DeviceId Admin = new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly DeviceId Subscriber = new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly DeviceId Other = new("cccccccccccccccccccccccccccccccc");
    private static readonly AccountId AdminAccount = new("11111111111111111111111111111111");
    private static readonly byte[] Group = Encoding.ASCII.GetBytes("channel");
    private static readonly GroupRoster Roster = new(GroupId.FromBytes(Group), 1, 4,
        new Dictionary<uint, DeviceId> { [0] = Admin, [1] = Subscriber, [2] = Other });

    [Fact]
    public void The_channel_extension_round_trips_and_refuses_what_it_cannot_vouch_for()
    {
        var extension = new ChannelExtension("Daily news ☕", ["alice", "bob"]);

        Assert.True(ChannelExtension.TryDecode(extension.Encode(), out ChannelExtension? decoded, out _));
        Assert.Equal(extension, decoded);
        Assert.False(ChannelExtension.TryDecode(new ChannelExtension("n", []).Encode(), out _, out _));
        Assert.False(ChannelExtension.TryDecode(new ChannelExtension("n", ["Alice"]).Encode(), out _, out _));
        Assert.False(ChannelExtension.TryDecode(new ChannelExtension("n", ["bob", "bob"]).Encode(), out _, out _));
        Assert.False(ChannelExtension.TryDecode(extension.Encode().Append((byte)0).ToArray(), out _, out _));
        byte[] future = extension.Encode();
        future[0] = 2;
        Assert.False(ChannelExtension.TryDecode(future, out _, out string? error));
        Assert.Contains("version 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pseudonymous_credential_must_name_its_own_key()
    {
        var key = TestMls.Suite.GenerateSignatureKeyPair();
        var other = TestMls.Suite.GenerateSignatureKeyPair();
        string identity = Encoding.ASCII.GetString(PseudonymousCredential.IdentityFor(key.PublicKey));

        Assert.Matches("^anon:[0-9a-f]{32}$", identity);
        Assert.True(PseudonymousCredential.IsWellFormed(TestMls.KeyPackageRecord(identity, key).LeafNode));
        Assert.True(PseudonymousCredential.IsPseudonymous(TestMls.KeyPackageRecord(identity, other).LeafNode));
        Assert.False(PseudonymousCredential.IsWellFormed(TestMls.KeyPackageRecord(identity, other).LeafNode));
        Assert.False(PseudonymousCredential.IsPseudonymous(TestMls.KeyPackageRecord(Admin.Value, key).LeafNode));
    }

    [Fact]
    public void A_subscribers_commit_may_carry_others_updates_and_self_removals_but_not_removals_of_others()
    {
        PublicMessage leave = TestMls.ProposalMessage(Group, 4, 2, new Remove(new LeafIndex(2)));
        PublicMessage kick = TestMls.ProposalMessage(Group, 4, 0, new Remove(new LeafIndex(2)));
        var context = new Context(senderIsAdmin: false,
            (Ref(leave), (leave.Content.Proposal!, 2u)), (Ref(kick), (kick.Content.Proposal!, 0u)));

        var (accepted, _) = GroupRules.Decide(Roster, CommitBy(Subscriber, 1, new Commit([new ProposalOrRef(Ref(leave))], PseudonymousPath(1))),
            context);
        var (_, refused) = GroupRules.Decide(Roster, CommitBy(Subscriber, 1, new Commit([new ProposalOrRef(Ref(kick))], PseudonymousPath(1))),
            context);

        Assert.Equal([0u, 1u], accepted!.Members.Keys);
        Assert.Equal(RejectionReason.NotChannelAdmin, refused!.Reason);
    }

    [Fact]
    public void Only_an_admins_device_joins_a_channel_by_external_commit()
    {
        var key = TestMls.Suite.GenerateSignatureKeyPair();
        DeviceId joiner = DeviceId.FromSignatureKey(key.PublicKey);
        LeafNode leaf = (TestMls.KeyPackageRecord(joiner.Value, key).LeafNode with { Source = LeafNodeSource.Commit, Lifetime = null, ParentHash = [] })
            .Sign(TestMls.Suite, key.PrivateKey, Group, new LeafIndex(3));
        var commit = new Commit([new ProposalOrRef(new ExternalInit(RandomNumberGenerator.GetBytes(32)))], new UpdatePath(leaf, []));
        PublicMessage message = TestMls.CommitMessage(Group, 4, Sender.NewMemberCommit, commit);
        var submission = new GroupSubmission(Roster.Id, joiner, "id", GroupMessageKind.Commit, 4, [1], message, null, null, DateTimeOffset.MaxValue);

        var (_, refused) = GroupRules.Decide(Roster, submission, new Context(senderIsAdmin: false) { Keys = { [joiner] = key.PublicKey } });
        var (accepted, _) = GroupRules.Decide(Roster, submission, new Context(senderIsAdmin: true) { Keys = { [joiner] = key.PublicKey } });

        Assert.Equal(RejectionReason.NotChannelAdmin, refused!.Reason);
        Assert.Equal(joiner, accepted!.Members[3]);
    }

    [Fact]
    public void A_commit_that_sets_the_admins_reports_them_in_the_extensions_order()
    {
        var bob = new AccountId("22222222222222222222222222222222");
        var gce = new GroupContextExtensions([new Extension(ChannelExtension.Type, new ChannelExtension("news", ["bob", "alice"]).Encode())]);
        var context = new Context(senderIsAdmin: true) { Usernames = { ["alice"] = AdminAccount, ["bob"] = bob } };

        var (decision, _) = GroupRules.Decide(Roster, CommitBy(Admin, 0, new Commit([new ProposalOrRef(gce)], PseudonymousPath(0))), context);

        Assert.Equal([bob, AdminAccount], decision!.Channel!.Admins);
        Assert.Empty(decision.Channel.JoinedKeyPackageRefs);
    }

    private static byte[] Ref(PublicMessage proposal) => proposal.ToAuthenticatedContent().MakeProposalRef(TestMls.Suite);

    // A commit's path whose new leaf carries a pseudonym (a channel leaf the server holds no registered key for).
    private static UpdatePath PseudonymousPath(uint leaf)
    {
        var key = TestMls.Suite.GenerateSignatureKeyPair();
        return new UpdatePath(TestMls.CommitLeaf(PseudonymousCredential.IdentityFor(key.PublicKey), key, Group, new LeafIndex(leaf)), []);
    }

    private static GroupSubmission CommitBy(DeviceId sender, uint leaf, Commit commit)
        => new(Roster.Id, sender, "id", GroupMessageKind.Commit, 4, [1], TestMls.CommitMessage(Group, 4, Sender.Member(new LeafIndex(leaf)), commit),
            null, null, DateTimeOffset.MaxValue);

    private sealed class Context(bool senderIsAdmin, params (byte[] Ref, (Proposal, uint) Proposal)[] proposals) : IGroupRuleContext
    {
        public int MaxMembers => 100;

        public Dictionary<string, AccountId> Usernames { get; } = [];

        public ChannelRuleFacts? Channel => new(new HashSet<AccountId> { AdminAccount }, senderIsAdmin, Usernames,
            new Dictionary<string, DeviceId>(), 100);

        // Every device is the admin account's, so the external-join policy (an account already in the group) holds.
        public Dictionary<DeviceId, byte[]> Keys { get; } = [];

        public Device? FindDevice(DeviceId device) => new(device, AdminAccount, 1, Keys.GetValueOrDefault(device, []), [], false);

        public (Proposal Proposal, uint SenderLeaf)? FindProposal(byte[] proposalRef)
            => proposals.FirstOrDefault(p => p.Ref.AsSpan().SequenceEqual(proposalRef)) is { Ref: not null } found ? found.Proposal : null;
    }
}
