// RFC 9420 §7.7 and §12.3 as the Delivery Service follows them: GroupRules.Decide checked against a model
// of the roster on random groups whose commits are made by a real Parley.Mls member (signed, with paths,
// confirmation tags and Welcomes), so every submission is one an honest client sends.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Tests;

public sealed class GroupRulesModelProperties
{
    private static readonly CipherSuite Suite = CipherSuite.Get(1);

    private const int PoolSize = 10;

    /// <summary>Devices with registered signature keys; device 0 creates every group and commits.</summary>
    private static readonly (SignatureKeyPair Key, DeviceId Id)[] Pool = Enumerable.Range(0, PoolSize).Select(_ =>
    {
        var key = Suite.GenerateSignatureKeyPair();
        return (key, DeviceId.FromSignatureKey(key.PublicKey));
    }).ToArray();

    public enum Mischief { None, WrongSender, OverTheLimit }

    /// <summary>A group grown to <paramref name="InitialOthers"/> more members, some removed again, then one commit of
    /// Removes and Adds (in <paramref name="Order"/>) decided by the server, perhaps with one thing wrong.</summary>
    public sealed record Scenario(
        int InitialOthers,
        bool[] SetupRemoves,
        bool[] CommitRemoves,
        bool[] CommitAdds,
        int Order,
        Mischief Mischief,
        int WrongSender);

    private static readonly Gen<bool> Coin = Gen.Elements(true, false);

    private static readonly Gen<Scenario> Scenarios =
        from others in Gen.Choose(0, 6)
        from setupRemoves in Gen.ArrayOf(Coin, PoolSize)
        from commitRemoves in Gen.ArrayOf(Coin, PoolSize)
        from commitAdds in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(true)), (2, Gen.Constant(false))), PoolSize)
        from order in Gen.Choose(0, int.MaxValue)
        from mischief in Gen.Frequency((6, Gen.Constant(Mischief.None)), (1, Gen.Constant(Mischief.WrongSender)),
            (1, Gen.Constant(Mischief.OverTheLimit)))
        from wrongSender in Gen.Choose(1, PoolSize - 1)
        select new Scenario(others, setupRemoves, commitRemoves, commitAdds, order, mischief, wrongSender);

    [Property(MaxTest = 50)]
    public Property Commits_of_adds_and_removes_are_decided_as_the_model_and_the_members_tree_say()
        => Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            byte[] groupId = Encoding.ASCII.GetBytes("model-" + s.Order);
            using var creator = MlsGroup.Create(Suite, groupId, CredentialOf(0), Pool[0].Key);
            var roster = new GroupRoster(GroupId.FromBytes(groupId), Suite.Id, 0, new Dictionary<uint, DeviceId> { [0] = Pool[0].Id });
            var context = new Context();

            // Setup through the rules themselves: add devices 1..n, then remove some of them.
            if (s.InitialOthers > 0)
            {
                roster = Accept(creator, roster, context,
                    Enumerable.Range(1, s.InitialOthers).Select(i => (Proposal)new Add(KeyPackage(i))).ToList());
            }
            var setupRemoves = roster.Members.Keys.Where(leaf => leaf != 0 && s.SetupRemoves[leaf]).ToList();
            if (setupRemoves.Count > 0)
            {
                roster = Accept(creator, roster, context, setupRemoves.Select(leaf => (Proposal)new Remove(new LeafIndex(leaf))).ToList());
            }

            // The commit under test: Removes of some members, Adds of some devices that are not members, interleaved.
            var removes = roster.Members.Keys.Where(leaf => leaf != 0 && s.CommitRemoves[leaf]).ToList();
            var adds = Enumerable.Range(1, PoolSize - 1).Where(i => s.CommitAdds[i] && !roster.Contains(Pool[i].Id)).ToList();
            var random = new Random(s.Order);
            var proposals = removes.Select(leaf => (Proposal)new Remove(new LeafIndex(leaf)))
                .Concat(adds.Select(i => (Proposal)new Add(KeyPackage(i))))
                .OrderBy(_ => random.Next()).ToList();

            // The model: removes blank their leaves, then each Add in commit order takes the leftmost blank leaf.
            var expected = new SortedDictionary<uint, DeviceId>((IDictionary<uint, DeviceId>)roster.Members.ToDictionary());
            foreach (var remove in proposals.OfType<Remove>())
            {
                expected.Remove(remove.Removed.Value);
            }
            foreach (var add in proposals.OfType<Add>())
            {
                expected[GroupRoster.LeftmostBlankLeaf(expected)] = DeviceOf(add.KeyPackage.LeafNode);
            }

            CommitResult result = creator.Commit(new CommitOptions { Proposals = proposals });
            var before = Snapshot(roster);
            var submission = CommitSubmission(roster, result, Pool[0].Id);

            if (s.Mischief == Mischief.WrongSender)
            {
                // Another device, member or not, cannot send the committer's commit.
                var (_, refused) = GroupRules.Decide(roster, submission with { Sender = Pool[s.WrongSender].Id }, context);
                // A member at another leaf is refused as an invalid commit; a device outside the group as a non-member.
                AssertRefusedAndUnchanged(refused, roster.Contains(Pool[s.WrongSender].Id) ? RejectionReason.InvalidCommit : RejectionReason.NotMember,
                    roster, before);
                return;
            }
            if (s.Mischief == Mischief.OverTheLimit)
            {
                var (_, refused) = GroupRules.Decide(roster, submission, context with { MaxMembers = expected.Count - 1 });
                AssertRefusedAndUnchanged(refused, RejectionReason.GroupFull, roster, before);
                return;
            }

            var (decision, rejection) = GroupRules.Decide(roster, submission, context);
            Assert.Null(rejection);
            Assert.Equal(roster.Epoch + 1, decision!.Epoch);
            Assert.Equal(expected, decision.Members.OrderBy(m => m.Key).ToDictionary());
            Assert.Equal(before, Snapshot(roster));
            // Every member of the epoch the commit was sent in gets it, removed ones too (so they learn of it); the sender does not.
            AssertSameDevices(roster.Members.Values.Where(d => d != Pool[0].Id), decision.MessageRecipients);
            AssertSameDevices(adds.Select(i => Pool[i].Id), decision.WelcomeRecipients);
            Assert.Equal(0u, decision.SenderLeaf);

            // The members' own tree after the commit agrees with the server's roster.
            creator.MergePendingCommit();
            Assert.Equal(creator.Epoch, decision.Epoch);
            Assert.Equal(creator.Members.ToDictionary(m => m.Index.Value, m => DeviceOf(m.Credential)),
                decision.Members.OrderBy(m => m.Key).ToDictionary());
            var next = roster with { Epoch = decision.Epoch, Members = decision.Members };

            // The same commit again is for an epoch that has passed.
            var (_, replayed) = GroupRules.Decide(next, submission, context);
            AssertRefusedAndUnchanged(replayed, RejectionReason.StaleEpoch, next, Snapshot(next));

            // An application message of the new epoch goes to every other member, and changes nothing.
            byte[] application = creator.EncryptApplicationMessage("hello"u8).ToBytes();
            var (delivered, refusedApplication) = GroupRules.Decide(next,
                new GroupSubmission(next.Id, Pool[0].Id, "a", GroupMessageKind.Application, next.Epoch, application, null, null, null,
                    DateTimeOffset.MaxValue), context);
            Assert.Null(refusedApplication);
            Assert.Equal(next.Epoch, delivered!.Epoch);
            Assert.Equal(expected, delivered.Members.OrderBy(m => m.Key).ToDictionary());
            AssertSameDevices(expected.Values.Where(d => d != Pool[0].Id), delivered.MessageRecipients);

            // A device that is not a member cannot send one.
            var outsider = Pool.Select(p => p.Id).FirstOrDefault(d => !next.Contains(d));
            if (outsider != default)
            {
                var (_, notMember) = GroupRules.Decide(next,
                    new GroupSubmission(next.Id, outsider, "b", GroupMessageKind.Application, next.Epoch, application, null, null, null,
                        DateTimeOffset.MaxValue), context);
                AssertRefusedAndUnchanged(notMember, RejectionReason.NotMember, next, Snapshot(next));
            }
        });

    // Commits with the member's group, has the server decide, and applies an accepted decision to both sides.
    private static GroupRoster Accept(MlsGroup group, GroupRoster roster, Context context, IReadOnlyList<Proposal> proposals)
    {
        CommitResult result = group.Commit(new CommitOptions { Proposals = proposals });
        var (decision, rejection) = GroupRules.Decide(roster, CommitSubmission(roster, result, Pool[0].Id), context);
        Assert.Null(rejection);
        group.MergePendingCommit();
        return roster with { Epoch = decision!.Epoch, Members = decision.Members };
    }

    private static GroupSubmission CommitSubmission(GroupRoster roster, CommitResult result, DeviceId sender)
        => new(roster.Id, sender, "c" + roster.Epoch, GroupMessageKind.Commit, roster.Epoch, result.Commit.ToBytes(),
            result.Commit.PublicMessage ?? throw new InvalidOperationException("Handshake messages are sent as PublicMessages."),
            result.Welcome?.ToBytes(), result.Welcome?.Welcome, DateTimeOffset.MaxValue);

    private static void AssertRefusedAndUnchanged(SubmissionOutcome.Rejected? rejection, RejectionReason reason, GroupRoster roster,
        string before)
    {
        Assert.NotNull(rejection);
        Assert.Equal(reason, rejection.Reason);
        Assert.Equal(roster.Epoch, rejection.CurrentEpoch);
        Assert.Equal(before, Snapshot(roster));
    }

    private static string Snapshot(GroupRoster roster)
        => $"epoch {roster.Epoch}: " + string.Join(", ", roster.Members.OrderBy(m => m.Key).Select(m => $"{m.Key}={m.Value}"));

    private static void AssertSameDevices(IEnumerable<DeviceId> expected, IReadOnlyList<DeviceId> actual)
    {
        Assert.Equal(actual.Count, actual.Distinct().Count());
        Assert.Equal(expected.Select(d => d.Value).Distinct().Order(), actual.Select(d => d.Value).Order());
    }

    private static Credential CredentialOf(int device) => Credential.Basic(Encoding.ASCII.GetBytes(Pool[device].Id.Value));

    private static KeyPackage KeyPackage(int device)
    {
        using var bundle = KeyPackageBundle.Create(Suite, CredentialOf(device), Pool[device].Key, new Lifetime(0, ulong.MaxValue));
        return bundle.KeyPackage;
    }

    private static DeviceId DeviceOf(LeafNode leaf) => DeviceOf(leaf.Credential);

    private static DeviceId DeviceOf(Credential credential)
        => DeviceId.TryFromCredentialIdentity(credential.Identity, out DeviceId id) ? id : throw new InvalidOperationException("Not a device.");

    private sealed record Context : IGroupRuleContext
    {
        public int MaxMembers { get; init; } = 100;

        public Device? FindDevice(DeviceId device)
            => Pool.Where(p => p.Id == device).Select(p => new Device(p.Id, new AccountId("account-" + p.Id.Value), 1, p.Key.PublicKey, [], false))
                .FirstOrDefault();

        public (Proposal Proposal, uint SenderLeaf)? FindProposal(byte[] proposalRef) => null;
    }
}
