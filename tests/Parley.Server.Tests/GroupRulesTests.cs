using System.Text;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Tests;

public sealed class GroupRulesTests
{
    private static readonly SignatureKeyPair AKey = TestUser.Suite.GenerateSignatureKeyPair();
    private static readonly DeviceId A = DeviceId.FromSignatureKey(AKey.PublicKey);
    private static readonly DeviceId B = new("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    private static readonly DeviceId C = new("cccccccccccccccccccccccccccccccc");
    private static readonly byte[] Group = Encoding.ASCII.GetBytes("group");

    [Fact]
    public void The_leftmost_blank_leaf_is_the_lowest_free_index()
    {
        Assert.Equal(0u, GroupRoster.LeftmostBlankLeaf(new Dictionary<uint, DeviceId>()));
        Assert.Equal(1u, GroupRoster.LeftmostBlankLeaf(new Dictionary<uint, DeviceId> { [0] = A, [2] = B }));
        Assert.Equal(2u, GroupRoster.LeftmostBlankLeaf(new Dictionary<uint, DeviceId> { [0] = A, [1] = B }));
    }

    [Fact]
    public void Removes_apply_before_adds_so_an_add_can_take_a_leaf_removed_in_the_same_commit()
    {
        var roster = new GroupRoster(GroupId.FromBytes(Group), 1, 5, new Dictionary<uint, DeviceId> { [0] = A, [1] = B });
        var key = TestUser.Suite.GenerateSignatureKeyPair();
        string cId = DeviceId.FromSignatureKey(key.PublicKey).Value;
        var add = new Add(TestMls.KeyPackageRecord(cId, key));
        var commit = new Commit([new ProposalOrRef(add), new ProposalOrRef(new Remove(new LeafIndex(1)))], Path(AKey, A, 0));
        var context = new Context();
        context.Register(key);

        var (decision, rejection) = GroupRules.Decide(roster, Submission(A, commit, epoch: 5), context);

        Assert.Null(rejection);
        Assert.Equal(6UL, decision!.Epoch);
        Assert.Equal(new DeviceId(cId), decision.Members[1]);
        Assert.Equal([B], decision.MessageRecipients);
    }

    [Fact]
    public void Removing_a_blank_leaf_is_an_invalid_commit()
    {
        var roster = new GroupRoster(GroupId.FromBytes(Group), 1, 0, new Dictionary<uint, DeviceId> { [0] = A });
        var commit = new Commit([new ProposalOrRef(new Remove(new LeafIndex(3)))], Path(AKey, A, 0));

        var (_, rejection) = GroupRules.Decide(roster, Submission(A, commit, epoch: 0), new Context());

        Assert.Equal(RejectionReason.InvalidCommit, rejection!.Reason);
    }

    [Fact]
    public void A_commit_over_the_member_limit_is_refused()
    {
        var roster = new GroupRoster(GroupId.FromBytes(Group), 1, 0, new Dictionary<uint, DeviceId> { [0] = A, [1] = C });
        var key = TestUser.Suite.GenerateSignatureKeyPair();
        var add = new Add(TestMls.KeyPackageRecord(DeviceId.FromSignatureKey(key.PublicKey).Value, key));

        var context = new Context { MaxMembers = 2 };
        context.Register(key);

        var (_, rejection) = GroupRules.Decide(roster, Submission(A, new Commit([new ProposalOrRef(add)], null), epoch: 0), context);

        Assert.Equal(RejectionReason.GroupFull, rejection!.Reason);
    }

    [Fact]
    public void An_application_message_from_a_future_epoch_is_refused()
    {
        var roster = new GroupRoster(GroupId.FromBytes(Group), 1, 2, new Dictionary<uint, DeviceId> { [0] = A, [1] = B });
        var submission = new GroupSubmission(roster.Id, A, "m", GroupMessageKind.Application, 3, [1], null, null, null, DateTimeOffset.MaxValue);

        var (_, rejection) = GroupRules.Decide(roster, submission, new Context());

        Assert.Equal(RejectionReason.StaleEpoch, rejection!.Reason);
    }

    private static GroupSubmission Submission(DeviceId sender, Commit commit, ulong epoch)
    {
        PublicMessage message = TestMls.CommitMessage(Group, epoch, Sender.Member(new LeafIndex(0)), commit);
        return new GroupSubmission(GroupId.FromBytes(Group), sender, "id", GroupMessageKind.Commit, epoch, [1], message, null, null,
            DateTimeOffset.MaxValue);
    }

    // A commit's path as the server sees it: the committer's new leaf, signed with its device key.
    internal static UpdatePath Path(SignatureKeyPair key, DeviceId device, uint leaf)
        => new(TestMls.CommitLeaf(Encoding.ASCII.GetBytes(device.Value), key, Group, new LeafIndex(leaf)), []);

    private sealed class Context : IGroupRuleContext
    {
        private readonly Dictionary<DeviceId, byte[]> _keys = new() { [A] = AKey.PublicKey };

        public int MaxMembers { get; init; } = 100;

        public void Register(SignatureKeyPair key) => _keys[DeviceId.FromSignatureKey(key.PublicKey)] = key.PublicKey;

        public Device? FindDevice(DeviceId device)
            => _keys.TryGetValue(device, out byte[]? key) ? new Device(device, new AccountId("account-" + device.Value), 1, key, [], false) : null;

        public (Proposal Proposal, uint SenderLeaf)? FindProposal(byte[] proposalRef) => null;
    }
}
