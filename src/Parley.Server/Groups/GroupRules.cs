// RFC 9420 §12.3–§12.4 (applying a commit's proposals to the tree), §12.4.3.1 (Welcome), §12.4.3.2 (external commits),
// as far as the Delivery Service follows them: who occupies which leaf, and in which epoch.
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>Facts the rules look up while deciding (inside the store's transaction).</summary>
public interface IGroupRuleContext
{
    /// <summary>Whether the device exists and is not revoked.</summary>
    bool IsActiveDevice(DeviceId device);

    /// <summary>A proposal relayed earlier in the current epoch, by its ProposalRef, with its sender's leaf.</summary>
    (Proposal Proposal, uint SenderLeaf)? FindProposal(byte[] proposalRef);

    /// <summary>Most members a roster may hold.</summary>
    int MaxMembers { get; }

    /// <summary>When the group is a private channel, what its rules need to know (docs/channels.md); null for an ordinary group.</summary>
    ChannelRuleFacts? Channel => null;
}

/// <summary>What an accepted submission does to the group.</summary>
/// <param name="Members">The roster after the message (unchanged unless it is a commit).</param>
/// <param name="MessageRecipients">Devices that get the message: every member at the message's epoch except the sender.</param>
/// <param name="WelcomeRecipients">Devices added by a commit whose KeyPackageRef the Welcome names.</param>
/// <param name="ProposalRef">For a proposal, its ProposalRef, so a later commit can include it by reference.</param>
public sealed record GroupDecision(
    ulong Epoch,
    IReadOnlyDictionary<uint, DeviceId> Members,
    IReadOnlyList<DeviceId> MessageRecipients,
    IReadOnlyList<DeviceId> WelcomeRecipients,
    byte[]? ProposalRef,
    uint SenderLeaf)
{
    /// <summary>For a commit to a private channel: the admin set it sets and the join requests it fulfils, else null.</summary>
    public ChannelEffects? Channel { get; init; }
}

/// <summary>The Delivery Service's rules: only members send; handshake messages must be for the
/// current epoch; a commit for epoch N moves the group to N+1 and updates the roster as the
/// members' trees will be updated; application messages go to every other member.</summary>
public static class GroupRules
{
    /// <summary>Decides on <paramref name="submission"/> against <paramref name="roster"/>; returns
    /// either the decision or the rejection.</summary>
    public static (GroupDecision? Decision, SubmissionOutcome.Rejected? Rejection) Decide(
        GroupRoster roster, GroupSubmission submission, IGroupRuleContext context)
    {
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(context);
        return submission.Kind switch
        {
            GroupMessageKind.Application => DecideApplication(roster, submission, context),
            GroupMessageKind.Proposal => DecideProposal(roster, submission, context),
            _ => DecideCommit(roster, submission, context),
        };
    }

    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideApplication(GroupRoster roster, GroupSubmission submission,
        IGroupRuleContext context)
    {
        uint? leaf = roster.LeafOf(submission.Sender);
        if (leaf is null)
        {
            return Reject(roster, RejectionReason.NotMember, "Only members may send to this group.");
        }
        // Application messages of an earlier epoch are still relayed: members keep recent epochs'
        // secrets, and refusing them would lose messages sent while a commit was in flight.
        if (submission.Epoch > roster.Epoch)
        {
            return Reject(roster, RejectionReason.StaleEpoch, $"The group is at epoch {roster.Epoch}.");
        }
        if (context.Channel is { } channel && ChannelRules.RefuseApplication(channel) is { } refusal)
        {
            return Reject(roster, RejectionReason.NotChannelAdmin, refusal);
        }
        return (new GroupDecision(roster.Epoch, roster.Members, Others(roster.Members, submission.Sender), [], null, leaf.Value), null);
    }

    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideProposal(GroupRoster roster, GroupSubmission submission,
        IGroupRuleContext context)
    {
        PublicMessage message = submission.PublicMessage!;
        if (CheckMemberSender(roster, submission, message) is { } rejected)
        {
            return (null, rejected);
        }
        if (message.Content.Epoch != roster.Epoch)
        {
            return Reject(roster, RejectionReason.StaleEpoch, $"The group is at epoch {roster.Epoch}.");
        }
        if (context.Channel is { } channel
            && ChannelRules.RefuseProposal(channel, message.Content.Proposal!, message.Content.Sender.Index) is { } refusal)
        {
            return Reject(roster, RejectionReason.NotChannelAdmin, refusal);
        }
        byte[] proposalRef = message.ToAuthenticatedContent().MakeProposalRef(CipherSuite.Get(roster.CipherSuite));
        return (new GroupDecision(roster.Epoch, roster.Members, Others(roster.Members, submission.Sender), [], proposalRef,
            message.Content.Sender.Index), null);
    }

    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideCommit(GroupRoster roster, GroupSubmission submission,
        IGroupRuleContext context)
    {
        PublicMessage message = submission.PublicMessage!;
        Commit commit = message.Content.Commit!;
        Sender sender = message.Content.Sender;
        bool external = sender.Type == SenderType.NewMemberCommit;
        if (!external && CheckMemberSender(roster, submission, message) is { } rejected)
        {
            return (null, rejected);
        }
        if (external && roster.Contains(submission.Sender))
        {
            return Reject(roster, RejectionReason.InvalidCommit, "A member cannot join again by external commit; remove the old leaf first.");
        }
        if (message.Content.Epoch != roster.Epoch)
        {
            return Reject(roster, RejectionReason.StaleEpoch,
                $"The commit is for epoch {message.Content.Epoch} but the group is at epoch {roster.Epoch}; process the newer commits and retry.");
        }

        var proposals = new List<(Proposal Proposal, uint? SenderLeaf)>();
        foreach (ProposalOrRef item in commit.Proposals)
        {
            if (item.Proposal is not null)
            {
                proposals.Add((item.Proposal, external ? null : sender.Index));
            }
            else if (context.FindProposal(item.Reference!) is { } found)
            {
                proposals.Add((found.Proposal, found.SenderLeaf));
            }
            else
            {
                return Reject(roster, RejectionReason.InvalidCommit, "The commit refers to a proposal this group was not sent in this epoch.");
            }
        }
        IReadOnlyList<AccountId>? channelAdmins = null;
        if (context.Channel is { } channel)
        {
            var (admins, reason, detail) = ChannelRules.CheckCommit(channel, external, proposals);
            if (reason is { } refused)
            {
                return Reject(roster, refused, detail!);
            }
            channelAdmins = admins;
        }

        var members = new SortedDictionary<uint, DeviceId>((IDictionary<uint, DeviceId>)roster.Members.ToDictionary());
        // Updates keep the leaf's device; a member cannot take another identity.
        foreach (var (proposal, proposer) in proposals)
        {
            if (proposal is Update update && proposer is { } leaf
                && (!members.TryGetValue(leaf, out DeviceId owner) || !IdentityIs(update.LeafNode, owner, context)))
            {
                return Reject(roster, RejectionReason.InvalidCommit, "An update must keep the member's device identity.");
            }
        }
        var removed = new List<DeviceId>();
        foreach (var (proposal, _) in proposals)
        {
            if (proposal is Remove remove)
            {
                if (!members.Remove(remove.Removed.Value, out DeviceId gone))
                {
                    return Reject(roster, RejectionReason.InvalidCommit, $"Leaf {remove.Removed.Value} is already blank.");
                }
                removed.Add(gone);
            }
        }
        var added = new List<(DeviceId Device, byte[] KeyPackageRef)>();
        var joined = new List<byte[]>();
        foreach (var (proposal, _) in proposals)
        {
            if (proposal is Add add)
            {
                byte[] keyPackageRef = add.KeyPackage.Ref(CipherSuite.Get(roster.CipherSuite));
                DeviceId device;
                if (context.Channel is { } channelFacts && PseudonymousCredential.IsPseudonymous(add.KeyPackage.LeafNode))
                {
                    // A subscriber's pseudonymous leaf belongs to the (active) device that asked to join with this key package.
                    if (!PseudonymousCredential.IsWellFormed(add.KeyPackage.LeafNode) || channelFacts.JoinRequester(keyPackageRef) is not { } requester)
                    {
                        return Reject(roster, RejectionReason.InvalidCommit,
                            "A pseudonymous key package can be added only from a pending join request to this channel.");
                    }
                    device = requester;
                    joined.Add(keyPackageRef);
                }
                else if (!TryDeviceOf(add.KeyPackage.LeafNode, out device))
                {
                    return Reject(roster, RejectionReason.InvalidCommit, "An added key package must carry a basic credential naming a device id.");
                }
                else if (!context.IsActiveDevice(device))
                {
                    return Reject(roster, RejectionReason.UnknownDevice, $"Device {device} is unknown or revoked.");
                }
                if (members.ContainsValue(device))
                {
                    return Reject(roster, RejectionReason.InvalidCommit, $"Device {device} is already a member.");
                }
                members[GroupRoster.LeftmostBlankLeaf(members)] = device;
                added.Add((device, keyPackageRef));
            }
        }

        uint senderLeaf;
        if (external)
        {
            if (commit.Path is null || !TryDeviceOf(commit.Path.LeafNode, out DeviceId joiner) || joiner != submission.Sender)
            {
                return Reject(roster, RejectionReason.InvalidCommit, "An external commit must carry a path whose leaf names the sending device.");
            }
            senderLeaf = GroupRoster.LeftmostBlankLeaf(members);
            members[senderLeaf] = joiner;
        }
        else
        {
            senderLeaf = sender.Index;
            if (!members.ContainsKey(senderLeaf))
            {
                return Reject(roster, RejectionReason.InvalidCommit, "A commit cannot remove its own sender.");
            }
            if (commit.Path is not null && !IdentityIs(commit.Path.LeafNode, submission.Sender, context))
            {
                return Reject(roster, RejectionReason.InvalidCommit, "The commit's path must keep the sender's device identity.");
            }
        }
        int maxMembers = context.Channel?.MaxMembers ?? context.MaxMembers;
        if (members.Count > maxMembers)
        {
            return Reject(roster, RejectionReason.GroupFull, $"A group has at most {maxMembers} members.");
        }

        var welcomeRecipients = new List<DeviceId>();
        if (submission.DecodedWelcome is { } welcome)
        {
            foreach (var (device, keyPackageRef) in added)
            {
                if (welcome.Secrets.Any(s => s.NewMember.AsSpan().SequenceEqual(keyPackageRef)))
                {
                    welcomeRecipients.Add(device);
                }
            }
        }
        // Removed members get the commit too, so they learn that they were removed.
        return (new GroupDecision(roster.Epoch + 1, members, Others(roster.Members, submission.Sender), welcomeRecipients, null,
            senderLeaf)
        {
            Channel = channelAdmins is null && joined.Count == 0 ? null : new ChannelEffects(channelAdmins, joined),
        }, null);
    }

    private static SubmissionOutcome.Rejected? CheckMemberSender(GroupRoster roster, GroupSubmission submission, PublicMessage message)
    {
        Sender sender = message.Content.Sender;
        if (sender.Type != SenderType.Member)
        {
            return new SubmissionOutcome.Rejected(RejectionReason.NotMember,
                "Only members (and external commits) may send handshake messages.", roster.Epoch);
        }
        if (!roster.Members.TryGetValue(sender.Index, out DeviceId device) || device != submission.Sender)
        {
            return new SubmissionOutcome.Rejected(RejectionReason.NotMember,
                "The message's sender leaf is not held by the sending device.", roster.Epoch);
        }
        return null;
    }

    /// <summary>Reads the device id from a leaf node's basic credential.</summary>
    public static bool TryDeviceOf(LeafNode leaf, out DeviceId device)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        device = default;
        return leaf.Credential.Type == CredentialType.Basic
               && DeviceId.TryFromCredentialIdentity(leaf.Credential.Identity, out device);
    }

    private static bool IdentityIs(LeafNode leaf, DeviceId device) => TryDeviceOf(leaf, out DeviceId actual) && actual == device;

    // In a private channel a leaf may also carry its holder's pseudonym (subscribers do), which names no device.
    private static bool IdentityIs(LeafNode leaf, DeviceId device, IGroupRuleContext context)
        => IdentityIs(leaf, device) || (context.Channel is not null && PseudonymousCredential.IsWellFormed(leaf));

    private static List<DeviceId> Others(IReadOnlyDictionary<uint, DeviceId> members, DeviceId sender)
        => members.Values.Where(d => d != sender).Distinct().ToList();

    private static (GroupDecision?, SubmissionOutcome.Rejected?) Reject(GroupRoster roster, RejectionReason reason, string detail)
        => (null, new SubmissionOutcome.Rejected(reason, detail, roster.Epoch));
}
