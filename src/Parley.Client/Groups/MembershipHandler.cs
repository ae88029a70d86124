// Membership (RFC 9420 §12.4.3 Welcome, §12.4 Commit, §12.1.3 Remove): the receive pipeline's handler for
// Welcomes, proposals and commits. It keeps each conversation's roster in line with its group, tells who was
// added, removed or left, and announces a join once the adder's message that follows the Welcome names it.
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Client.Groups;

/// <summary>Joins groups from Welcomes and applies proposals and commits. Owns the proposals left for this device
/// to commit and the join not announced yet.</summary>
/// <remarks>A member that joins by external commit is handed to <paramref name="externalJoin"/> (channels: the leaf is
/// checked and an admin's device shares the recent posts), which returns why the leaf cannot be verified, or null.</remarks>
internal sealed class MembershipHandler(DeviceContext device, LeafVerifier verifier,
    Func<ConversationId, MlsGroup, IReadOnlyList<RosterLeaf>, CancellationToken, Task<string?>> externalJoin)
{
    private readonly HashSet<ConversationId> _proposalsToCommit = [];

    // A conversation this device just joined, announced (ConversationJoined) once the adder's conversation info that
    // follows the Welcome names it, or before the next delivery of another conversation, or at the end of the batch.
    private ConversationId? _unannouncedJoin;

    // ---- Welcome ------------------------------------------------------------------------------

    /// <summary>Joins the group of an ordinary Welcome (one naming a key package of this device) and saves its
    /// conversation; the join is announced later (<see cref="AnnounceJoin"/>).</summary>
    public async Task<List<ClientEvent>> JoinAsync(string deliveryId, MlsMessage message, CancellationToken cancellationToken)
    {
        var store = device.Store;
        var welcome = message.Welcome!;
        StoredKeyPackage? stored = null;
        using (var lookup = await store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var secrets in welcome.Secrets)
            {
                stored = lookup.FindKeyPackage(secrets.NewMember);
                if (stored is not null)
                {
                    break;
                }
            }
        }
        if (stored is null)
        {
            throw new DeliveryRejected("a Welcome names none of this device's key packages");
        }
        MlsGroup group;
        using (stored)
        {
            using var bundle = device.Leaf.Bundle(new GeneratedKeyPackage(stored.Ref, stored.Message, stored.InitPrivateKey, stored.EncryptionPrivateKey));
            try
            {
                group = MlsGroup.JoinFromWelcome(message, bundle, null, device.GroupOptions);
            }
            catch (MlsException e)
            {
                throw new DeliveryRejected("a Welcome could not be opened: " + e.Message);
            }
        }
        using (group)
        {
            // A device removed from a conversation (or whose account left it) keeps it, read-only; a Welcome to the
            // same group is a new membership of that conversation, whose history stays.
            var previous = store.FindConversationByGroupId(group.GroupId);
            if (previous is not null && IsMember(previous.Id))
            {
                throw new DeliveryRejected("a Welcome to a conversation this device is already in");
            }
            // Every leaf must be a device certified by its account's pinned identity key.
            var leaves = GroupRoster.Leaves(group);
            foreach (var leaf in leaves)
            {
                if (await verifier.VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    throw new DeliveryRejected($"a Welcome to a group with an unverifiable member ({problem})");
                }
            }
            var members = GroupRoster.Members(group);
            var now = device.Now;
            // The adder tells the kind, title and timer right after the Welcome; until then a returning member keeps the
            // conversation's kind and title, and no timer (it may have been turned off meanwhile).
            var conversation = previous is null
                ? new Conversation(ConversationId.New(), ConversationKind.Group, DefaultTitle(members), group.GroupId, null, members, now, now, 0)
                : previous with { DisappearingTimer = null, Members = members, LastActivityAt = now };
            using var transaction = await store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.SaveConversation(conversation);
            transaction.SaveGroupState(conversation.Id, group);
            if (!stored.LastResort)
            {
                transaction.DeleteKeyPackage(stored.Ref);
            }
            transaction.MarkDeliveryProcessed(deliveryId);
            transaction.Commit();
            _unannouncedJoin = conversation.Id;
            return [];
        }
    }

    private bool IsMember(ConversationId conversation)
    {
        using var group = device.Store.LoadGroup(conversation, device.GroupOptions);
        return group.IsActive;
    }

    private string DefaultTitle(IReadOnlyList<ConversationMember> members)
    {
        var others = members.Select(m => m.Username).Where(u => u != device.Username).ToList();
        return others.Count == 0 ? device.Username : string.Join(", ", others);
    }

    // ---- Announcing a join --------------------------------------------------------------------

    /// <summary>Before a delivery: the join still unannounced, when <paramref name="message"/> cannot be its
    /// announcement (only an application message of the conversation just joined can be).</summary>
    public List<ClientEvent> BeforeDelivery(MlsMessage message)
        => _unannouncedJoin is { } joined && !(message.Body is PrivateMessage pm && device.Store.FindConversationByGroupId(pm.GroupId)?.Id == joined)
            ? TakeUnannouncedJoin()
            : [];

    /// <summary>The join not announced yet, as an event naming the conversation as it stands (its adder unknown).</summary>
    public List<ClientEvent> TakeUnannouncedJoin()
    {
        if (_unannouncedJoin is not { } id)
        {
            return [];
        }
        _unannouncedJoin = null;
        return device.Store.GetConversation(id) is { } conversation ? [new ConversationJoined(conversation, null)] : [];
    }

    /// <summary>After the first application message of a conversation just joined committed: the join is told (first)
    /// with the conversation's title, and, when the message is the adder's announcement, who added this device.</summary>
    public void AnnounceJoin(ConversationId conversation, MessageContent content, string sender, List<ClientEvent> events)
    {
        if (_unannouncedJoin != conversation)
        {
            return;
        }
        _unannouncedJoin = null;
        bool announcement = content is ConversationInfoContent;
        if (announcement)
        {
            events.RemoveAll(e => e is ConversationUpdated);
        }
        events.Insert(0, new ConversationJoined(device.Store.GetConversation(conversation)!, announcement ? sender : null));
    }

    // ---- Proposals and commits ----------------------------------------------------------------

    /// <summary>A proposal is kept by the group. Left for this device to commit after the sync
    /// (<see cref="TakeProposalsToCommit"/>): a member's proposal to remove its own leaves (it left), and a device's
    /// request to join (docs/backup.md, "Rejoining") when it is certified by the pinned key of an account already in the
    /// group.</summary>
    public async Task<DeliveryEffect> ProposalAsync(GroupDelivery delivery, ProposalMessage proposal, CancellationToken cancellationToken)
    {
        bool commitIt = proposal.Proposal is Remove && !ChannelRules.IsSubscriber(delivery.Group);
        string? refused = null;
        if (proposal.Sender.Type == SenderType.NewMemberProposal && proposal.Proposal is Add add)
        {
            refused = await JoinRequestProblemAsync(delivery, add, cancellationToken).ConfigureAwait(false);
            commitIt = refused is null;
        }
        return new DeliveryEffect(Committed: events =>
        {
            if (commitIt)
            {
                _proposalsToCommit.Add(delivery.Conversation.Id);
            }
            else if (refused is not null)
            {
                events.Add(new DeliveryDropped(delivery.DeliveryId, $"warning: a request to join was not taken ({refused})"));
            }
        });
    }

    // A request to join is taken from a device certified by the pinned key of an account that already has a device in the
    // group (a device restored from a backup of the account's only device), never in a channel; null when it is one.
    private async Task<string?> JoinRequestProblemAsync(GroupDelivery delivery, Add add, CancellationToken cancellationToken)
    {
        var group = delivery.Group;
        if (ChannelRules.IsChannel(group))
        {
            return "channels are joined by invite";
        }
        var node = add.KeyPackage.LeafNode;
        var leaf = new RosterLeaf(new LeafIndex(uint.MaxValue), GroupRoster.DeviceIdOf(node), AccountBinding.Of(node), node);
        var leaves = GroupRoster.Leaves(group);
        if (leaf.Username is not { } username || leaves.All(l => l.Username != username))
        {
            return "its account is not in the conversation";
        }
        if (leaves.Any(l => l.DeviceId == leaf.DeviceId))
        {
            return "the device is in the conversation already";
        }
        return await verifier.VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The conversations with proposals left for this device to commit; each is taken once.</summary>
    public List<ConversationId> TakeProposalsToCommit()
    {
        var taken = _proposalsToCommit.ToList();
        _proposalsToCommit.Clear();
        return taken;
    }

    /// <summary>A commit: this device removed, or the roster saved and who was added, removed or left told. A device
    /// added that cannot be verified is warned about (its messages will be refused).</summary>
    public async Task<DeliveryEffect> CommitAsync(GroupDelivery delivery, CommitMessage commit, CancellationToken cancellationToken)
    {
        var (conversation, group) = (delivery.Conversation, delivery.Group);
        string? by = commit.Sender.Type == SenderType.Member ? UsernameOf(delivery.MembersBefore, conversation, commit.SenderCredential) : null;
        if (commit.SelfRemoved)
        {
            return new DeliveryEffect(Committed: events => events.Add(new RemovedFromConversation(conversation, by)));
        }
        var warnings = new List<ClientEvent>();
        foreach (var added in commit.AddedMembers)
        {
            if (GroupRoster.At(group, added) is { } leaf
                && await verifier.VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                warnings.Add(new DeliveryDropped(delivery.DeliveryId, $"warning: {by ?? "a member"} added an unverifiable device ({problem}); its messages will be refused"));
            }
        }
        if (commit.Sender.Type == SenderType.NewMemberCommit
            && await externalJoin(conversation.Id, group, delivery.LeavesBefore, cancellationToken).ConfigureAwait(false) is { } joinProblem)
        {
            warnings.Add(new DeliveryDropped(delivery.DeliveryId, $"warning: a member joined by itself with an unverifiable leaf ({joinProblem}); its messages will be refused"));
        }
        var before = delivery.MembersBefore;
        var after = GroupRoster.Members(group);
        var addedAccounts = after.Select(m => m.Username).Except(before.Select(m => m.Username)).ToList();
        var removedAccounts = before.Select(m => m.Username).Except(after.Select(m => m.Username)).ToList();
        var leftAccounts = removedAccounts.Where(account => LeftOnItsOwn(account, commit, delivery.LeavesBefore)).ToList();
        var updated = conversation with { Members = after };
        return new DeliveryEffect((transaction, events) =>
        {
            events.AddRange(warnings);
            transaction.SaveConversation(updated);
        }, events =>
        {
            if (addedAccounts.Count > 0 || removedAccounts.Count > 0)
            {
                events.Add(new MembershipChanged(updated, addedAccounts, removedAccounts.Except(leftAccounts).ToList(), by) { Left = leftAccounts });
            }
        });
    }

    // True when every Remove of the account's devices in the commit was proposed by a device of that same account
    // (it left, and another member committed its proposals), rather than by someone removing it.
    private static bool LeftOnItsOwn(string account, CommitMessage commit, IReadOnlyList<RosterLeaf> leavesBefore)
    {
        var ownLeaves = leavesBefore.Where(l => l.Username == account).Select(l => l.Leaf).ToHashSet();
        var removals = commit.Proposals.Where(p => p.Proposal is Remove r && ownLeaves.Contains(r.Removed)).ToList();
        return removals.Count > 0 && removals.All(p => p.Sender.Type == SenderType.Member && ownLeaves.Contains(p.Sender.LeafIndex));
    }

    private static string? UsernameOf(IReadOnlyList<ConversationMember> members, Conversation conversation, Credential? credential)
    {
        if (credential?.Identity is not { } identity)
        {
            return null;
        }
        string deviceId = System.Text.Encoding.ASCII.GetString(identity);
        return members.FirstOrDefault(m => m.DeviceIds.Contains(deviceId))?.Username ?? conversation.UsernameOf(deviceId);
    }
}
