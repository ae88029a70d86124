// What the client API returns about channels, for the CLI, the web app and tests.
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client.Channels;

/// <summary>A private channel this device is in, as its MLS group describes it.</summary>
/// <param name="Conversation">The channel's conversation (MLS group).</param>
/// <param name="GroupId">The MLS group id.</param>
/// <param name="Name">The channel's name.</param>
/// <param name="Admins">The admins' user names (the only members whose names anyone sees).</param>
/// <param name="IsAdmin">This account is an admin: it may post, invite, and add or remove admins.</param>
/// <param name="IsSubscriber">This device is a pseudonymous subscriber.</param>
/// <param name="IsActive">This device is still a member (false once removed).</param>
public sealed record PrivateChannel(ConversationId Conversation, byte[] GroupId, string Name, IReadOnlyList<string> Admins, bool IsAdmin,
    bool IsSubscriber, bool IsActive)
{
    public override string ToString() => $"PrivateChannel({Name})";
}

/// <summary>A private channel's counts as the server keeps them.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Subscribers">How many members are not admins (pseudonymous subscribers).</param>
/// <param name="LocalSubscribers">The same count read from this device's copy of the group.</param>
public sealed record PrivateChannelSummary(PrivateChannel Channel, int? Subscribers, int LocalSubscribers);

/// <summary>One post of a private channel: the message (edits and deletion applied) and its view count, when known.</summary>
public sealed record ChannelPost(StoredMessage Message, long? Views);

/// <summary>An invite link an admin created.</summary>
public sealed record ChannelInvite(string InviteId, InviteLink Link, DateTimeOffset? ExpiresAt, bool Approval);

/// <summary>A join request this device sent, or a join that happened at once.</summary>
/// <param name="RequestId">The server's id of the request (null when the device joined at once).</param>
/// <param name="Status">joined (at once, by external commit), pending, approved, denied or expired.</param>
/// <param name="Server">The server of the channel.</param>
public sealed record ChannelJoinRequest(string? RequestId, string Status, Uri Server)
{
    /// <summary>The channel, when the device joined at once (an invite without approval).</summary>
    public PrivateChannel? Channel { get; init; }
}

/// <summary>A public channel as its server describes it.</summary>
/// <param name="Server">The server it is on.</param>
/// <param name="Name">Its name.</param>
/// <param name="Title">Its title.</param>
/// <param name="Description">Its description.</param>
/// <param name="Admins">Its admins with their account identity keys.</param>
/// <param name="Owner">The owner (its first admin).</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record PublicChannelInfo(Uri Server, string Name, string? Title, string? Description, IReadOnlyList<PublicChannelAdmin> Admins,
    string Owner, DateTimeOffset CreatedAt);

/// <summary>One post of a public channel and what its signatures prove.</summary>
/// <param name="Sequence">Its place in the channel.</param>
/// <param name="PostId">Its id.</param>
/// <param name="Post">The latest signed version (null when the server sent none).</param>
/// <param name="Deleted">Deleted by an admin.</param>
/// <param name="Views">How many times it was viewed.</param>
/// <param name="Verified">The post is signed by a device of its author, certified by the author's identity key, and the author is an admin.</param>
/// <param name="Problem">Why it did not verify, or null.</param>
public sealed record VerifiedPublicPost(long Sequence, string PostId, PublicPost? Post, bool Deleted, long Views, bool Verified, string? Problem)
{
    /// <summary>The text to show, or null when deleted or unverified.</summary>
    public string? Text => Verified && !Deleted ? Post?.Text : null;

    /// <summary>The latest version is an edit.</summary>
    public bool Edited => Post?.Operation == PublicPostOperation.Edit;
}

/// <summary>Whether the owner's identity key matches the one this device pinned.</summary>
public enum OwnerKeyStatus
{
    /// <summary>No store to pin in (an anonymous reader).</summary>
    NotPinned,

    /// <summary>First read: the key is now pinned.</summary>
    PinnedNow,

    /// <summary>The key is the pinned one.</summary>
    Matches,

    /// <summary>The server now names another key (or another owner) than the pinned one.</summary>
    Changed,
}

/// <summary>A public channel read and verified.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Posts">Its posts, oldest first.</param>
/// <param name="OwnerKey">How the owner's key compares with the pinned one.</param>
public sealed record PublicChannelReading(PublicChannelInfo Channel, IReadOnlyList<VerifiedPublicPost> Posts, OwnerKeyStatus OwnerKey);
