// What a device learns while it syncs, for the CLI, the web app and tests to show.
using Parley.Client.Conversations;
using Parley.Client.Messages;

namespace Parley.Client.Sync;

/// <summary>Something that happened on this device while processing deliveries.</summary>
public abstract record ClientEvent
{
    private protected ClientEvent() { }
}

/// <summary>A message was added to a conversation (from another account, or from another of this account's devices).</summary>
public sealed record MessageReceived(Conversation Conversation, StoredMessage Message) : ClientEvent;

/// <summary>A message changed: edited, deleted for everyone, reacted to, or a receipt arrived.</summary>
public sealed record MessageUpdated(Conversation Conversation, StoredMessage Message, string Change) : ClientEvent;

/// <summary>This device joined a conversation (a Welcome arrived), or joined again one it had been removed from. It is
/// raised once the adder's announcement that follows the Welcome named the conversation (or at the end of the batch
/// when none came), so <see cref="Conversation"/> carries the group's title and <paramref name="AddedBy"/> the account
/// that added this device (null when unknown).</summary>
public sealed record ConversationJoined(Conversation Conversation, string? AddedBy) : ClientEvent;

/// <summary>Accounts were added to or removed from a conversation by <paramref name="By"/> (the committer), or left it
/// on their own (<see cref="Left"/>, not in <paramref name="Removed"/>).</summary>
public sealed record MembershipChanged(Conversation Conversation, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, string? By) : ClientEvent
{
    /// <summary>Accounts that left: every removal of their devices was proposed by a device of the same account.</summary>
    public IReadOnlyList<string> Left { get; init; } = [];
}

/// <summary>A conversation's title or disappearing timer changed.</summary>
public sealed record ConversationUpdated(Conversation Conversation, string Change, string? By) : ClientEvent;

/// <summary>An admin (<paramref name="By"/>) shared the private channel's most recent <paramref name="Posts"/> posts with
/// this device, which was just added; they are in the channel's history now.</summary>
public sealed record ChannelHistoryShared(Conversation Conversation, int Posts, string? By) : ClientEvent;

/// <summary>This device was removed from a conversation; it receives nothing more from it.</summary>
public sealed record RemovedFromConversation(Conversation Conversation, string? By) : ClientEvent;

/// <summary>A delivery could not be processed and was dropped (it is acknowledged so it does not block the mailbox).</summary>
public sealed record DeliveryDropped(string DeliveryId, string Reason) : ClientEvent;

/// <summary>On an admin's device: someone asked to join a private channel through an invite that needs approval. The
/// request carries no name (subscribers are pseudonymous); approve or deny it by its id.</summary>
public sealed record JoinRequested(Conversation Conversation, string Channel, string RequestId) : ClientEvent;
