// docs/channels.md, "What the server enforces": in a private channel only admins' devices post, add, remove others or
// change the group context; subscribers may update their own leaf and leave.
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Groups;

namespace Parley.Server.Channels;

/// <summary>What an accepted commit changes about a private channel.</summary>
/// <param name="Admins">The new admin set (in the extension's order) when the commit carried a parley_channel extension.</param>
/// <param name="JoinedKeyPackageRefs">KeyPackageRefs of the join requests whose pseudonymous key packages it added.</param>
public sealed record ChannelEffects(IReadOnlyList<AccountId>? Admins, IReadOnlyList<byte[]> JoinedKeyPackageRefs);

/// <summary>The sender rules of private channels, applied by <see cref="GroupRules"/> on top of the group rules when the
/// group is a channel. Each returns null when the message may pass, else why not.</summary>
public static class ChannelRules
{
    /// <summary>Application messages (posts) come only from admins' devices.</summary>
    public static string? RefuseApplication(ChannelRuleFacts channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.SenderIsAdmin ? null : "Only the channel's admins may post to it; subscribers read.";
    }

    /// <summary>A non-admin may propose only an Update of its own leaf or its own removal (leaving).</summary>
    public static string? RefuseProposal(ChannelRuleFacts channel, Proposal proposal, uint senderLeaf)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.SenderIsAdmin || IsSubscriberProposal(proposal, senderLeaf)
            ? null
            : "Only the channel's admins may propose adding or removing others or changing the channel; subscribers may update their own leaf or leave.";
    }

    /// <summary>Checks a commit's proposals (with their proposers' leaves; null for an external commit's own). A
    /// non-admin commits only Updates and members' own removals; an external commit (a join without a Welcome) is for
    /// admins' devices, or for a subscriber queue through an invite without approval (<paramref name="byInvite"/>), whose
    /// commit carries its ExternalInit and nothing else; a GroupContextExtensions proposal must keep a valid parley_channel
    /// extension whose admins all have accounts. Returns the new admin set, if the commit sets one, or the rejection.</summary>
    public static (IReadOnlyList<AccountId>? Admins, RejectionReason? Reason, string? Detail) CheckCommit(ChannelRuleFacts channel,
        bool external, bool byInvite, IReadOnlyList<(Proposal Proposal, uint? SenderLeaf)> proposals)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(proposals);
        if (external && byInvite)
        {
            return proposals is [{ Proposal: ExternalInit }]
                ? (null, null, null)
                : (null, RejectionReason.InvalidCommit, "An external commit through an invite carries its ExternalInit and nothing else.");
        }
        if (!channel.SenderIsAdmin)
        {
            if (external)
            {
                return (null, RejectionReason.NotChannelAdmin, "Only the channel's admins' devices may join it by external commit; subscribers join by invite.");
            }
            foreach (var (proposal, proposer) in proposals)
            {
                if (proposer is not { } leaf || !IsSubscriberProposal(proposal, leaf))
                {
                    return (null, RejectionReason.NotChannelAdmin,
                        "Only the channel's admins may commit adds, removals of others or channel changes; subscribers may commit updates and leaves.");
                }
            }
        }
        IReadOnlyList<AccountId>? admins = null;
        foreach (var (proposal, _) in proposals)
        {
            if (proposal is not GroupContextExtensions gce)
            {
                continue;
            }
            Extension? extension = gce.Extensions.FirstOrDefault(e => e.Type == ChannelExtension.Type);
            if (extension is null)
            {
                return (null, RejectionReason.InvalidChannelExtension, "A channel's group context must keep its parley_channel extension (0xF0C1).");
            }
            if (!ChannelExtension.TryDecode(extension.Data, out ChannelExtension? decoded, out string? error))
            {
                return (null, RejectionReason.InvalidChannelExtension, error);
            }
            var accounts = new List<AccountId>();
            foreach (string username in decoded!.Admins)
            {
                if (!channel.AccountsByUsername.TryGetValue(username, out AccountId account))
                {
                    return (null, RejectionReason.InvalidChannelExtension, $"The channel names '{username}' as an admin, who has no account here.");
                }
                accounts.Add(account);
            }
            admins = accounts;
        }
        return (admins, null, null);
    }

    private static bool IsSubscriberProposal(Proposal proposal, uint proposerLeaf) => proposal switch
    {
        Update => true,
        Remove remove => remove.Removed.Value == proposerLeaf,
        _ => false,
    };
}
