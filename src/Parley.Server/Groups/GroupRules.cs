// RFC 9420 §12.3–§12.4 (applying a commit's proposals to the tree), §12.4.3.1 (Welcome), §12.4.3.2 (external commits),
// as far as the Delivery Service follows them: who occupies which leaf, and in which epoch.
using System.Security.Cryptography;
using Parley.Mls;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>Facts the rules look up while deciding (inside the store's transaction).</summary>
public interface IGroupRuleContext
{
    /// <summary>The device with its account and registered signature key (revoked ones too), or null.</summary>
    Device? FindDevice(DeviceId device);

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
/// <param name="Epoch">The group's epoch after the message.</param>
/// <param name="SenderLeaf">The sender's leaf index.</param>
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

    /// <summary>The signature key of each leaf after the message (unchanged unless it is a commit).</summary>
    public IReadOnlyDictionary<uint, byte[]> LeafKeys { get; init; } = new Dictionary<uint, byte[]>();

    /// <summary>For a commit: the new epoch's context and transcript hash, from its verified GroupInfo; null when the group
    /// has none yet and the commit brought none.</summary>
    public GroupEpochState? NextState { get; init; }
}

/// <summary>The Delivery Service's rules: only members send; handshake messages must be for the current epoch, signed
/// by the sender's leaf over the group's current context, and legal for their sender (RFC 9420 §12.1–§12.4); a commit for
/// epoch N moves the group to N+1 and updates the roster as the members' trees will be updated; application messages go
/// to every other member. Membership is checked first, so a device that is not a member learns nothing of the group.</summary>
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
        if (submission.Sealed)
        {
            return DecideSealed(roster, submission, context);
        }
        return submission.Kind switch
        {
            GroupMessageKind.Application => DecideApplication(roster, submission, context),
            GroupMessageKind.Proposal => DecideProposal(roster, submission, context),
            _ => DecideCommit(roster, submission, context),
        };
    }

    /// <summary>The devices whose registration <see cref="Decide"/> may look up for <paramref name="submission"/>: the
    /// sender, every device a commit adds, and the devices at the leaves a commit removes (an engine that reads facts
    /// ahead of deciding reads these).</summary>
    public static IReadOnlyList<DeviceId> DevicesToLookUp(GroupRoster roster, GroupSubmission submission,
        Func<byte[], (Proposal Proposal, uint SenderLeaf)?> findProposal)
    {
        ArgumentNullException.ThrowIfNull(roster);
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(findProposal);
        var devices = new HashSet<DeviceId> { submission.Sender };
        if (submission.PublicMessage?.Content.Sender.Type is SenderType.NewMemberCommit or SenderType.NewMemberProposal)
        {
            // The external-join policy asks whose account each member device belongs to; a joiner through an invite must not
            // use a registered device's key.
            devices.UnionWith(roster.Members.Values);
            if (submission.PublicMessage.Content.Commit?.Path is { } path)
            {
                devices.Add(DeviceId.FromSignatureKey(path.LeafNode.SignatureKey));
            }
        }
        foreach (Proposal proposal in submission.Proposals(findProposal))
        {
            if (proposal is Add add && TryDeviceOf(add.KeyPackage.LeafNode, out DeviceId added))
            {
                devices.Add(added);
            }
            else if (proposal is Remove remove && roster.Members.TryGetValue(remove.Removed.Value, out DeviceId removed))
            {
                devices.Add(removed);
            }
        }
        return devices.ToList();
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
        return (new GroupDecision(roster.Epoch, roster.Members, Others(roster.Members, submission.Sender), [], null, leaf.Value)
        {
            LeafKeys = roster.LeafKeys,
        }, null);
    }

    // docs/protocol.md, "Sealed sending": the sender proved only that it holds the epoch's exporter secret, so the message goes
    // to every member device, its own included (its client recognises the echo). A private channel takes posts only from
    // admins, which a sealed send cannot show.
    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideSealed(GroupRoster roster, GroupSubmission submission,
        IGroupRuleContext context)
    {
        if (submission.Kind != GroupMessageKind.Application)
        {
            return Reject(roster, RejectionReason.InvalidCommit, "Only application messages may be sent sealed.");
        }
        byte[]? expected = roster.DeliveryKeyOf(submission.Epoch);
        if (expected is null || !CryptographicOperations.FixedTimeEquals(expected, submission.SealedKey))
        {
            return Reject(roster, RejectionReason.InvalidDeliveryCredential,
                "The delivery credential is not this group's for the message's epoch.");
        }
        if (context.Channel is not null)
        {
            return Reject(roster, RejectionReason.NotChannelAdmin, "A channel takes posts only through the authenticated send.");
        }
        return (new GroupDecision(roster.Epoch, roster.Members, roster.Members.Values.ToList(), [], null, 0)
        {
            LeafKeys = roster.LeafKeys,
        }, null);
    }

    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideProposal(GroupRoster roster, GroupSubmission submission,
        IGroupRuleContext context)
    {
        PublicMessage message = submission.PublicMessage!;
        if (message.Content.Sender.Type == SenderType.NewMemberProposal)
        {
            return DecideJoinRequest(roster, submission, message, context);
        }
        if (CheckMemberSender(roster, submission, message) is { } rejected)
        {
            return (null, rejected);
        }
        if (message.Content.Epoch != roster.Epoch)
        {
            return Reject(roster, RejectionReason.StaleEpoch, $"The group is at epoch {roster.Epoch}.");
        }
        CipherSuite suite = CipherSuite.Get(roster.CipherSuite);
        uint senderLeaf = message.Content.Sender.Index;
        if (CheckSignature(suite, roster, message, senderLeaf) is { } badSignature)
        {
            return (null, badSignature);
        }
        Proposal proposal = message.Content.Proposal!;
        if (CheckProposalBySender(suite, roster, proposal, senderLeaf, submission.Sender, context) is { } illegal)
        {
            return (null, illegal);
        }
        if (context.Channel is { } channel && ChannelRules.RefuseProposal(channel, proposal, senderLeaf) is { } refusal)
        {
            return Reject(roster, RejectionReason.NotChannelAdmin, refusal);
        }
        byte[] proposalRef = message.ToAuthenticatedContent().MakeProposalRef(suite);
        return (new GroupDecision(roster.Epoch, roster.Members, Others(roster.Members, submission.Sender), [], proposalRef, senderLeaf)
        {
            LeafKeys = roster.LeafKeys,
        }, null);
    }

    /// <summary>The sender leaf stored with a join request (a new_member_proposal sender holds no leaf).</summary>
    public const uint JoinRequestSenderLeaf = uint.MaxValue;

    // RFC 9420 §12.1.8 (new_member_proposal): a device asks to be added; a member commits the Add by reference. docs/protocol.md,
    // "Rejoining": the server takes it only from a device of an account that already has a device in the group (the same
    // rule as an external commit), adding exactly the sending device, signed with its registered key, at the current epoch.
    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideJoinRequest(GroupRoster roster, GroupSubmission submission,
        PublicMessage message, IGroupRuleContext context)
    {
        Device? submitter = context.FindDevice(submission.Sender);
        if (context.Channel is not null || submitter is not { Revoked: false }
            || !roster.Members.Values.Any(d => context.FindDevice(d)?.AccountId == submitter.AccountId))
        {
            // Anyone else is answered as for a group that does not exist.
            return Reject(roster, RejectionReason.NotMember, "Only members may send to this group.");
        }
        if (roster.Contains(submission.Sender))
        {
            return Reject(roster, RejectionReason.InvalidProposal, "This device is a member of the group already.");
        }
        if (message.Content.Epoch != roster.Epoch)
        {
            return Reject(roster, RejectionReason.StaleEpoch, $"The group is at epoch {roster.Epoch}.");
        }
        if (message.Content.Proposal is not Add add)
        {
            return Reject(roster, RejectionReason.InvalidProposal, "A request to join must be an Add.");
        }
        if (!IdentityIs(add.KeyPackage.LeafNode, submission.Sender))
        {
            return Reject(roster, RejectionReason.InvalidProposal, "A request to join must add the device that sends it.");
        }
        CipherSuite suite = CipherSuite.Get(roster.CipherSuite);
        if (HandshakeChecks.CheckKeyPackage(suite, add.KeyPackage, submitter) is { } badPackage)
        {
            return Reject(roster, RejectionReason.InvalidSignature, badPackage);
        }
        if (HandshakeChecks.VerifyJoinRequestSignature(suite, message, add.KeyPackage.LeafNode.SignatureKey) is { } badSignature)
        {
            return Reject(roster, RejectionReason.InvalidSignature, badSignature);
        }
        byte[] proposalRef = message.ToAuthenticatedContent().MakeProposalRef(suite);
        return (new GroupDecision(roster.Epoch, roster.Members, Others(roster.Members, submission.Sender), [], proposalRef, JoinRequestSenderLeaf)
        {
            LeafKeys = roster.LeafKeys,
        }, null);
    }

    private static (GroupDecision?, SubmissionOutcome.Rejected?) DecideCommit(GroupRoster roster, GroupSubmission submission,
        IGroupRuleContext context)
    {
        PublicMessage message = submission.PublicMessage!;
        Commit commit = message.Content.Commit!;
        Sender sender = message.Content.Sender;
        bool external = sender.Type == SenderType.NewMemberCommit;
        Device? submitter = context.FindDevice(submission.Sender);
        if (!external && CheckMemberSender(roster, submission, message) is { } rejected)
        {
            return (null, rejected);
        }
        if (external && submission.ByInvite)
        {
            // docs/channels.md, "Joining without an admin": a subscriber queue joins a channel through an open invite.
            if (context.Channel is null)
            {
                return Reject(roster, RejectionReason.NotMember, "Only members may send to this group.");
            }
            if (roster.Contains(submission.Sender))
            {
                return Reject(roster, RejectionReason.InvalidCommit, "This queue already holds a leaf of the channel.");
            }
        }
        else if (external)
        {
            // docs/protocol.md, "External joins": only a device of an account already in the group may join by external
            // commit (its own resync or new device). Anyone else is answered as for a group that does not exist.
            if (roster.Contains(submission.Sender))
            {
                return Reject(roster, RejectionReason.InvalidCommit, "A member cannot join again by external commit; remove the old leaf first.");
            }
            if (submitter is null || !roster.Members.Values.Any(d => context.FindDevice(d)?.AccountId == submitter.AccountId))
            {
                return Reject(roster, RejectionReason.NotMember, "Only members may send to this group.");
            }
        }
        if (message.Content.Epoch != roster.Epoch)
        {
            return Reject(roster, RejectionReason.StaleEpoch,
                $"The commit is for epoch {message.Content.Epoch} but the group is at epoch {roster.Epoch}; process the newer commits and retry.");
        }
        CipherSuite suite = CipherSuite.Get(roster.CipherSuite);
        if (!external && CheckSignature(suite, roster, message, sender.Index) is { } badSignature)
        {
            return (null, badSignature);
        }
        if (message.Auth.ConfirmationTag is null)
        {
            return Reject(roster, RejectionReason.InvalidCommit, "A commit must carry a confirmation tag.");
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
        try
        {
            CommitComposition.Check(commit.Proposals.Zip(proposals, (item, resolved) => (resolved.Proposal.Type, item.Proposal is null)).ToList(),
                external);
        }
        catch (MlsProtocolException e)
        {
            return Reject(roster, RejectionReason.InvalidCommit, e.Message);
        }
        if (external && commit.Path is null)
        {
            return Reject(roster, RejectionReason.InvalidCommit, "An external commit must carry a path.");
        }
        if (!external)
        {
            // RFC 9420 §12.2: by value, a committer may not include an Update of its own leaf or a Remove of itself.
            foreach (ProposalOrRef item in commit.Proposals)
            {
                if (item.Proposal is Update)
                {
                    return Reject(roster, RejectionReason.InvalidCommit, "A commit cannot include an Update of its own sender; send a path instead.");
                }
            }
            if (proposals.Count == 0 || proposals.Any(p => p.Proposal.Type is not (ProposalType.Add or ProposalType.Psk or ProposalType.ReInit)))
            {
                if (commit.Path is null)
                {
                    return Reject(roster, RejectionReason.InvalidCommit, "The commit's proposals require a path, but it has none.");
                }
            }
        }
        IReadOnlyList<AccountId>? channelAdmins = null;
        if (context.Channel is { } channel)
        {
            var (admins, reason, detail) = ChannelRules.CheckCommit(channel, external, submission.ByInvite, proposals);
            if (reason is { } refused)
            {
                return Reject(roster, refused, detail!);
            }
            channelAdmins = admins;
        }

        var members = new SortedDictionary<uint, DeviceId>((IDictionary<uint, DeviceId>)roster.Members.ToDictionary());
        var keys = roster.LeafKeys.ToDictionary();
        // Updates keep the leaf's device; a member cannot take another identity.
        foreach (var (proposal, proposer) in proposals)
        {
            if (proposal is Update update && proposer is { } leaf)
            {
                if (!members.TryGetValue(leaf, out DeviceId owner) || !IdentityIs(update.LeafNode, owner, context))
                {
                    return Reject(roster, RejectionReason.InvalidCommit, "An update must keep the member's device identity.");
                }
                keys[leaf] = update.LeafNode.SignatureKey;
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
                // RFC 9420 §12.4.3.2: an external commit may remove only an earlier appearance of the joiner (here: of its account).
                if (external && context.FindDevice(gone)?.AccountId != submitter!.AccountId)
                {
                    return Reject(roster, RejectionReason.InvalidCommit, "An external commit may remove only a leaf of the joiner's own account.");
                }
                keys.Remove(remove.Removed.Value);
                removed.Add(gone);
            }
        }
        var added = new List<(DeviceId Device, byte[] KeyPackageRef)>();
        var joined = new List<byte[]>();
        foreach (var (proposal, _) in proposals)
        {
            if (proposal is Add add)
            {
                byte[] keyPackageRef = add.KeyPackage.Ref(suite);
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
                else if (context.FindDevice(device) is not { Revoked: false } registered)
                {
                    return Reject(roster, RejectionReason.UnknownDevice, $"Device {device} is unknown or revoked.");
                }
                else if (HandshakeChecks.CheckKeyPackage(suite, add.KeyPackage, registered) is { } badPackage)
                {
                    return Reject(roster, RejectionReason.InvalidSignature, badPackage);
                }
                if (members.ContainsValue(device))
                {
                    return Reject(roster, RejectionReason.InvalidCommit, $"Device {device} is already a member.");
                }
                uint newLeaf = GroupRoster.LeftmostBlankLeaf(members);
                members[newLeaf] = device;
                keys[newLeaf] = add.KeyPackage.LeafNode.SignatureKey;
                added.Add((device, keyPackageRef));
            }
        }

        uint senderLeaf;
        if (external && submission.ByInvite)
        {
            LeafNode joining = commit.Path!.LeafNode;
            if (!PseudonymousCredential.IsWellFormed(joining))
            {
                return Reject(roster, RejectionReason.InvalidCommit,
                    "A subscriber joins a channel with a pseudonymous leaf: a basic credential \"anon:\" and the hex of its own key's hash.");
            }
            // A device key in a subscriber's leaf would let any member look the subscriber up in the directory.
            if (context.FindDevice(DeviceId.FromSignatureKey(joining.SignatureKey)) is not null)
            {
                return Reject(roster, RejectionReason.InvalidCommit, "The joining leaf must use a fresh per-channel signature key, not a registered device's key.");
            }
            if (roster.State is not { } joinState)
            {
                return Reject(roster, RejectionReason.InvalidGroupInfo, "The channel's current context is not known to the server yet; send a join request.");
            }
            senderLeaf = GroupRoster.LeftmostBlankLeaf(members);
            members[senderLeaf] = submission.Sender;
            if (HandshakeChecks.CheckOwnLeaf(suite, joining, null, roster.Id.ToBytes(), senderLeaf, LeafNodeSource.Commit) is { } badLeaf)
            {
                return Reject(roster, RejectionReason.InvalidSignature, badLeaf);
            }
            if (HandshakeChecks.VerifySignature(suite, message, joinState, joining.SignatureKey) is { } badJoin)
            {
                return Reject(roster, RejectionReason.InvalidSignature, badJoin);
            }
        }
        else if (external)
        {
            if (!TryDeviceOf(commit.Path!.LeafNode, out DeviceId joiner) || joiner != submission.Sender)
            {
                return Reject(roster, RejectionReason.InvalidCommit, "An external commit must carry a path whose leaf names the sending device.");
            }
            senderLeaf = GroupRoster.LeftmostBlankLeaf(members);
            members[senderLeaf] = joiner;
            // The joiner signs with its new leaf's key, which must be its registered one.
            if (HandshakeChecks.CheckOwnLeaf(suite, commit.Path.LeafNode, submitter!.SignatureKey, roster.Id.ToBytes(), senderLeaf,
                    LeafNodeSource.Commit) is { } badLeaf)
            {
                return Reject(roster, RejectionReason.InvalidSignature, badLeaf);
            }
            if (roster.State is { } state && HandshakeChecks.VerifySignature(suite, message, state, submitter.SignatureKey) is { } badExternal)
            {
                return Reject(roster, RejectionReason.InvalidSignature, badExternal);
            }
        }
        else
        {
            senderLeaf = sender.Index;
            if (!members.ContainsKey(senderLeaf))
            {
                return Reject(roster, RejectionReason.InvalidCommit, "A commit cannot remove its own sender.");
            }
            if (commit.Path is not null)
            {
                if (!IdentityIs(commit.Path.LeafNode, submission.Sender, context))
                {
                    return Reject(roster, RejectionReason.InvalidCommit, "The commit's path must keep the sender's device identity.");
                }
                if (HandshakeChecks.CheckOwnLeaf(suite, commit.Path.LeafNode, RegisteredKeyFor(commit.Path.LeafNode, submitter),
                        roster.Id.ToBytes(), senderLeaf, LeafNodeSource.Commit) is { } badLeaf)
                {
                    return Reject(roster, RejectionReason.InvalidSignature, badLeaf);
                }
            }
        }
        if (commit.Path is not null)
        {
            keys[senderLeaf] = commit.Path.LeafNode.SignatureKey;
        }
        int maxMembers = context.Channel?.MaxMembers ?? context.MaxMembers;
        if (members.Count > maxMembers)
        {
            return Reject(roster, RejectionReason.GroupFull, $"A group has at most {maxMembers} members.");
        }

        // The new epoch's context, from the GroupInfo the committer signed with the key its leaf now has.
        GroupEpochState? nextState = null;
        if (submission.GroupInfo is { } groupInfo)
        {
            var gce = proposals.Select(p => p.Proposal).OfType<GroupContextExtensions>().FirstOrDefault();
            // The key the committer's leaf has now; in a group the server kept no keys for, its device's registered key.
            byte[]? committerKey = keys.GetValueOrDefault(senderLeaf) ?? submitter?.SignatureKey;
            var (next, badInfo) = HandshakeChecks.CheckGroupInfo(suite, roster, message, groupInfo, senderLeaf, committerKey,
                gce?.Extensions ?? roster.State?.Context.Extensions);
            if (badInfo is not null)
            {
                return Reject(roster, RejectionReason.InvalidGroupInfo, badInfo);
            }
            nextState = next;
        }
        else if (roster.State is not null)
        {
            return Reject(roster, RejectionReason.InvalidGroupInfo,
                "A commit must carry the GroupInfo of the epoch it starts, signed by the committer (docs/server-protocol.md).");
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
            LeafKeys = keys,
            NextState = nextState,
        }, null);
    }

    private static SubmissionOutcome.Rejected? CheckMemberSender(GroupRoster roster, GroupSubmission submission, PublicMessage message)
    {
        Sender sender = message.Content.Sender;
        // A device that is not a member gets the same answer whatever it sent, so it learns nothing of the group.
        if (sender.Type != SenderType.Member || !roster.Contains(submission.Sender))
        {
            return new SubmissionOutcome.Rejected(RejectionReason.NotMember, "Only members may send to this group.", roster.Epoch);
        }
        if (!roster.Members.TryGetValue(sender.Index, out DeviceId device) || device != submission.Sender)
        {
            return new SubmissionOutcome.Rejected(RejectionReason.InvalidCommit,
                "The message's sender leaf is not held by the sending device.", roster.Epoch);
        }
        return null;
    }

    // RFC 9420 §6.1: a member's handshake message is signed with its leaf's key over the current GroupContext. The server
    // checks it when it holds both (every group since it began keeping them; docs/security.md says what it cannot check).
    private static SubmissionOutcome.Rejected? CheckSignature(CipherSuite suite, GroupRoster roster, PublicMessage message, uint senderLeaf)
    {
        if (roster.State is not { } state || !roster.LeafKeys.TryGetValue(senderLeaf, out byte[]? key))
        {
            return null;
        }
        return HandshakeChecks.VerifySignature(suite, message, state, key) is { } problem
            ? new SubmissionOutcome.Rejected(RejectionReason.InvalidSignature, problem, roster.Epoch)
            : null;
    }

    // RFC 9420 §12.1: what a member may propose on its own.
    private static SubmissionOutcome.Rejected? CheckProposalBySender(CipherSuite suite, GroupRoster roster, Proposal proposal, uint senderLeaf,
        DeviceId sender, IGroupRuleContext context)
    {
        switch (proposal)
        {
            case ExternalInit:
                return new(RejectionReason.InvalidProposal, "An ExternalInit proposal cannot be sent on its own.", roster.Epoch);
            case Remove remove when !roster.Members.ContainsKey(remove.Removed.Value):
                return new(RejectionReason.InvalidProposal, $"Leaf {remove.Removed.Value} is already blank.", roster.Epoch);
            case Update update:
                if (!IdentityIs(update.LeafNode, sender, context))
                {
                    return new(RejectionReason.InvalidProposal, "An update must keep the member's device identity.", roster.Epoch);
                }
                return HandshakeChecks.CheckOwnLeaf(suite, update.LeafNode, RegisteredKeyFor(update.LeafNode, context.FindDevice(sender)),
                    roster.Id.ToBytes(), senderLeaf, LeafNodeSource.Update) is { } badLeaf
                    ? new(RejectionReason.InvalidSignature, badLeaf, roster.Epoch)
                    : null;
            case Add add when !PseudonymousCredential.IsPseudonymous(add.KeyPackage.LeafNode):
                if (!TryDeviceOf(add.KeyPackage.LeafNode, out DeviceId device) || context.FindDevice(device) is not { Revoked: false } registered)
                {
                    return new(RejectionReason.UnknownDevice, "An added key package must name an active device.", roster.Epoch);
                }
                return HandshakeChecks.CheckKeyPackage(suite, add.KeyPackage, registered) is { } badPackage
                    ? new(RejectionReason.InvalidSignature, badPackage, roster.Epoch)
                    : null;
            default:
                return null;
        }
    }

    // A leaf naming its device must carry the device's registered key; a channel subscriber's pseudonymous leaf has a key of
    // its own (checked by the pseudonym's form).
    private static byte[]? RegisteredKeyFor(LeafNode leaf, Device? device)
        => PseudonymousCredential.IsPseudonymous(leaf) ? null : device?.SignatureKey ?? [];

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
