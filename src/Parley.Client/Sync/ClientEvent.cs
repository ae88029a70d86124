// What a device learns while it syncs, for the CLI, the web app and tests to show.
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;

namespace Parley.Client.Sync;

/// <summary>Something that happened on this device, as <see cref="ParleyClient.EventRaised"/>,
/// <see cref="ParleyClient.Subscribe"/> and <see cref="ParleyClient.Events"/> report it. The events:
/// <list type="bullet">
/// <item><see cref="MessageReceived"/>: a message from another account or another of this account's devices.</item>
/// <item><see cref="MessageSent"/>: this device stored a message it sends (status pending).</item>
/// <item><see cref="MessageStatusChanged"/>: the server took (sent) or refused (failed) a message this device sent.</item>
/// <item><see cref="MessageUpdated"/>: edited, deleted, reacted to, delivered or read (receipts).</item>
/// <item><see cref="ConversationRead"/>: the conversation was marked read on this device (its unread count is 0).</item>
/// <item><see cref="ConversationJoined"/>, <see cref="MembershipChanged"/>, <see cref="ConversationUpdated"/>,
/// <see cref="RemovedFromConversation"/>: membership, title and timer.</item>
/// <item><see cref="ChannelHistoryShared"/>: an admin shared a private channel's recent posts with this device.</item>
/// <item><see cref="IdentityKeyChanged"/>, <see cref="ContactUpdated"/>: a contact's safety number changed, was
/// verified, or its new key accepted.</item>
/// <item><see cref="DevicesChanged"/>: a device was linked to this account or revoked.</item>
/// <item><see cref="JoinRequested"/>: someone asks to join a private channel this device administers.</item>
/// <item><see cref="DeliveryDropped"/>: a delivery could not be processed.</item>
/// </list>
/// Events of messages from blocked accounts are never raised.</summary>
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

/// <summary>This device stored a message it is sending (its <see cref="StoredMessage.State"/> is
/// <see cref="DeliveryStatus.Pending"/> until the server takes it; see <see cref="MessageStatusChanged"/>).</summary>
public sealed record MessageSent(Conversation Conversation, StoredMessage Message) : ClientEvent;

/// <summary>A message this device sent changed <paramref name="Status"/>: the server took it
/// (<see cref="DeliveryStatus.Sent"/>) or refused it for good (<see cref="DeliveryStatus.Failed"/>). Delivery and read
/// receipts from recipients arrive as <see cref="MessageUpdated"/> ("delivered", "read").</summary>
public sealed record MessageStatusChanged(Conversation Conversation, StoredMessage Message, DeliveryStatus Status) : ClientEvent;

/// <summary>A contact's account identity key, and so the safety number with them, changed: the new key waits for
/// <see cref="ParleyClient.AcceptIdentityKeyChange"/> (after comparing the new safety number), and until then their
/// devices' messages are refused. Raised once per new key.</summary>
public sealed record IdentityKeyChanged(Contact Contact) : ClientEvent;

/// <summary>A contact was marked verified (<c>"verified"</c>) or its changed key accepted (<c>"key accepted"</c>)
/// on this device.</summary>
public sealed record ContactUpdated(Contact Contact, string Change) : ClientEvent;

/// <summary>This account's device list changed since this client last looked: devices <paramref name="Linked"/> to
/// it, and devices <paramref name="Revoked"/> (ids).</summary>
public sealed record DevicesChanged(IReadOnlyList<string> Linked, IReadOnlyList<string> Revoked) : ClientEvent;

/// <summary>The conversation was marked read on this device (<see cref="ParleyClient.MarkReadAsync"/>):
/// <paramref name="Marked"/> messages were unread. Messages read on another of this account's devices arrive as
/// <see cref="MessageUpdated"/> ("read").</summary>
public sealed record ConversationRead(Conversation Conversation, int Marked) : ClientEvent;
