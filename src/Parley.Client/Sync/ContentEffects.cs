// What an application message's envelope does to the local history (docs/client-envelope.md): new
// messages are added; edits, deletions, reactions and receipts change the message they name.
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;

namespace Parley.Client.Sync;

/// <summary>Applies one decrypted envelope inside a store transaction and reports what changed.</summary>
internal static class ContentEffects
{
    /// <summary>Applies <paramref name="envelope"/> from <paramref name="senderUsername"/>'s device
    /// <paramref name="senderDeviceId"/>. Returns the events to raise once the transaction commits.</summary>
    public static List<ClientEvent> Apply(StoreTransaction transaction, ConversationId conversationId, ContentEnvelope envelope, byte[] envelopeBytes,
        string senderDeviceId, string senderUsername, string ownUsername, bool sentByThisDevice)
    {
        var events = new List<ClientEvent>();
        var conversation = transaction.GetConversation(conversationId) ?? throw new InvalidOperationException("The conversation is gone.");
        bool outgoing = senderUsername == ownUsername;
        var status = sentByThisDevice ? DeliveryStatus.Pending : outgoing ? DeliveryStatus.Sent : DeliveryStatus.Received;

        StoredMessage? Add()
        {
            var stored = transaction.AddMessage(new NewMessage(conversationId, envelope, envelopeBytes, senderDeviceId, senderUsername, outgoing, status));
            if (stored is not null && !sentByThisDevice)
            {
                events.Add(new MessageReceived(transaction.GetConversation(conversationId)!, stored));
            }
            return stored;
        }

        void Update(string target, Func<StoredMessage, MessageState?> change, string what)
        {
            if (transaction.FindMessage(conversationId, target) is not { } message)
            {
                return;
            }
            var state = change(message);
            if (state is null)
            {
                return;
            }
            var updated = transaction.UpdateMessage(message, state);
            if (!sentByThisDevice)
            {
                events.Add(new MessageUpdated(transaction.GetConversation(conversationId)!, updated, what));
            }
        }

        switch (envelope.Content)
        {
            case TextContent or ReplyContent or UnsupportedContent:
                Add();
                break;
            case AttachmentContent a:
                if (Add() is { } carrier)
                {
                    transaction.AddAttachment(carrier.LocalId, a.Attachment);
                }
                break;
            case EditContent edit:
                // Only the sender may edit or delete its own messages.
                Update(edit.Target, m => m.SenderUsername == senderUsername && !m.State.Deleted
                    ? m.State with { EditedText = edit.Text, EditedAt = envelope.SentAt }
                    : null, "edited");
                break;
            case DeleteContent delete:
                Update(delete.Target, m => m.SenderUsername == senderUsername && !m.State.Deleted ? m.State with { Deleted = true } : null, "deleted");
                break;
            case ReactionContent reaction:
                Update(reaction.Target, m =>
                {
                    var reactions = m.State.Reactions.Where(r => !(r.Reactor == senderUsername && r.Emoji == reaction.Emoji)).ToList();
                    if (!reaction.Remove)
                    {
                        reactions.Add(new MessageReaction(senderUsername, reaction.Emoji, envelope.SentAt));
                    }
                    return m.State.Deleted ? null : m.State with { Reactions = reactions };
                }, reaction.Remove ? "reaction removed" : "reaction");
                break;
            case DeliveryReceiptContent delivered when !outgoing:
                foreach (string target in delivered.Targets.Take(500))
                {
                    Update(target, m => m.IsOutgoing ? m.State with { Receipts = Receipt(m.State.Receipts, senderUsername, envelope.SentAt, null) } : null, "delivered");
                }
                break;
            case ReadReceiptContent read when !outgoing:
                foreach (string target in read.Targets.Take(500))
                {
                    Update(target, m => m.IsOutgoing ? m.State with { Receipts = Receipt(m.State.Receipts, senderUsername, envelope.SentAt, envelope.SentAt) } : null, "read");
                }
                break;
            case ReadReceiptContent read when outgoing:
                // Read on another of this account's devices: read here too.
                foreach (string target in read.Targets.Take(500))
                {
                    Update(target, m => !m.IsOutgoing && !m.State.Read ? m.State with { Read = true } : null, "read");
                }
                break;
            case DisappearingTimerContent timer:
                if (conversation.DisappearingTimer != timer.Timer)
                {
                    transaction.SaveConversation(conversation with { DisappearingTimer = timer.Timer });
                    Add();
                    events.Add(new ConversationUpdated(transaction.GetConversation(conversationId)!,
                        timer.Timer is { } t ? $"disappearing messages after {Durations.Format(t)}" : "disappearing messages off", senderUsername));
                }
                break;
            case ConversationInfoContent info:
            {
                string display = info.ConversationKind == ConversationKind.Direct
                    ? DirectName(conversation, ownUsername)
                    : info.Title.Length > 0 ? info.Title : conversation.DisplayName;
                // A rename shows in the history; the announcement a new member gets right after joining does not.
                bool renamed = info.ConversationKind == ConversationKind.Group && display != conversation.DisplayName
                               && transaction.Store.CountMessages(conversationId) > 0;
                if (info.ConversationKind != conversation.Kind || display != conversation.DisplayName)
                {
                    transaction.SaveConversation(conversation with { Kind = info.ConversationKind, DisplayName = display });
                    if (renamed)
                    {
                        Add();
                        events.Add(new ConversationUpdated(transaction.GetConversation(conversationId)!, $"named the group {display}", senderUsername));
                    }
                }
                break;
            }
        }
        return events;
    }

    /// <summary>The display name of a 1:1 chat: the other account's name.</summary>
    public static string DirectName(Conversation conversation, string ownUsername)
        => conversation.Members.Select(m => m.Username).FirstOrDefault(u => u != ownUsername) ?? ownUsername;

    private static List<MessageReceipt> Receipt(IReadOnlyList<MessageReceipt> receipts, string recipient, DateTimeOffset delivered, DateTimeOffset? read)
    {
        var list = receipts.Where(r => r.Recipient != recipient).ToList();
        var old = receipts.FirstOrDefault(r => r.Recipient == recipient);
        list.Add(new MessageReceipt(recipient, old?.DeliveredAt ?? delivered, read ?? old?.ReadAt));
        return list;
    }
}
