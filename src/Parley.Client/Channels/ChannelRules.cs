// The rules every member's client applies in a private channel (docs/channels.md): only admins' devices
// may send application messages; a pseudonymous ("anon:") leaf is acceptable only as a non-admin member of
// a channel; a new member must support the group's context extensions.
using Parley.Client.Groups;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client.Channels;

/// <summary>Decides what a channel accepts from which leaf.</summary>
public static class ChannelRules
{
    /// <summary>The channel <paramref name="group"/> is, or null for a chat or group.</summary>
    public static ChannelExtension? ChannelOf(MlsGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return ChannelExtension.Of(group.Context.Extensions);
    }

    /// <summary>True when the group carries a channel extension (even a malformed one, which then names no admin).</summary>
    public static bool IsChannel(MlsGroup group) => ChannelExtension.IsPresent(group.Context.Extensions);

    /// <summary>Why <paramref name="sender"/> may not send application messages to <paramref name="group"/>, or null
    /// when it may (any member of a chat or group; only an admin's device in a channel).</summary>
    public static string? SenderProblem(MlsGroup group, RosterLeaf sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (!IsChannel(group))
        {
            return null;
        }
        var channel = ChannelOf(group);
        if (channel is null)
        {
            return "a message in a channel whose description is malformed";
        }
        return channel.IsAdmin(sender.Username) ? null : $"a message in channel {channel.Name} from a member who is not one of its admins";
    }

    /// <summary>True when this member's own leaf in <paramref name="group"/> is a pseudonymous subscriber leaf.</summary>
    public static bool IsSubscriber(MlsGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        // The own leaf only, not the whole roster: a channel may have many thousands of leaves.
        return IsChannel(group) && group.IsActive && group.MemberAt(group.OwnLeafIndex) is { } own && PseudonymousLeaf.Names(own.Credential, own.SignatureKey);
    }

    /// <summary>True when this member is one of the channel's admins (false for chats and groups).</summary>
    public static bool IsAdmin(MlsGroup group, string ownUsername)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.IsActive && ChannelOf(group) is { } channel && channel.IsAdmin(ownUsername) && !IsSubscriber(group);
    }

    /// <summary>Whether a leaf is acceptable in <paramref name="group"/> without an account: true for a well-formed
    /// pseudonymous leaf in a channel (it can never be an admin, whose leaves name their account); false when the
    /// leaf must be verified as an account's device.</summary>
    public static bool AcceptsWithoutAccount(MlsGroup group, RosterLeaf leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return IsChannel(group) && leaf.Binding is null && PseudonymousLeaf.Is(leaf.Node);
    }

    /// <summary>True when <paramref name="keyPackage"/>'s leaf supports every non-default extension of the group's
    /// context (RFC 9420 §12.1.1): an Add of a package that does not would be refused.</summary>
    public static bool Supports(MlsGroup group, KeyPackage keyPackage)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(keyPackage);
        var supported = keyPackage.LeafNode.Capabilities.Extensions;
        return group.Context.Extensions.All(e => ExtensionType.IsDefault(e.Type) || supported.Contains(e.Type));
    }
}
