// What a content envelope does to the local history (docs/client-envelope.md, "Applying envelopes").
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Content;

namespace Parley.Client.Storage;

/// <summary>How an envelope changed the history.</summary>
public enum EnvelopeResult
{
    /// <summary>A new message was added (text, reply, attachment, timer or info change, unsupported content).</summary>
    Added,

    /// <summary>Existing messages changed (edit, delete, reaction, receipt).</summary>
    Updated,

    /// <summary>The conversation already has a message with this id: nothing changed.</summary>
    Duplicate,

    /// <summary>The message it refers to is not (or no longer) in the history: nothing changed.</summary>
    TargetMissing,

    /// <summary>Not allowed (e.g. editing someone else's message): nothing changed.</summary>
    Rejected,
}

/// <summary>The outcome of applying an envelope: what happened, the messages added or changed, and why not when rejected.</summary>
public sealed record EnvelopeOutcome(EnvelopeResult Result, IReadOnlyList<StoredMessage> Messages, string? Reason = null)
{
    /// <summary>The message added or the first message changed, if any.</summary>
    public StoredMessage? Message => Messages.Count > 0 ? Messages[0] : null;
}

public sealed partial class StoreTransaction
{
    /// <summary>Applies a decrypted envelope from <paramref name="senderDeviceId"/> (authenticated by MLS) to the
    /// history: adds a message, or edits, deletes, reacts to or records receipts on earlier ones. Only a message's
    /// own account may edit or delete it. Call it in the transaction that also saves the MLS group state that
    /// decrypted (or encrypted) the envelope.</summary>
    /// <param name="conversation">The conversation whose group carried the envelope.</param>
    /// <param name="envelope">The decoded envelope.</param>
    /// <param name="envelopeBytes">The envelope bytes as carried (stored for new messages).</param>
    /// <param name="senderDeviceId">The device that sent it.</param>
    /// <param name="senderUsername">That device's account, if known.</param>
    /// <param name="isOutgoing">Sent by this account (this device, or a copy from another of its devices).</param>
    /// <param name="status">For new messages: Pending when this device is sending it, else Sent or Received.</param>
    public EnvelopeOutcome ApplyEnvelope(ConversationId conversation, ContentEnvelope envelope, byte[] envelopeBytes, string senderDeviceId,
        string? senderUsername, bool isOutgoing, DeliveryStatus status)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(envelopeBytes);
        ArgumentException.ThrowIfNullOrEmpty(senderDeviceId);
        var current = GetConversation(conversation) ?? throw new InvalidOperationException($"Conversation {conversation} does not exist.");
        string author = senderUsername ?? senderDeviceId;
        switch (envelope.Content)
        {
            case EditContent edit:
                return Modify(conversation, edit.Target, senderDeviceId, senderUsername, ownOnly: true, target =>
                {
                    if (target.State.Deleted || StoredMessage.TextOf(target.Content) is null)
                    {
                        return null;
                    }
                    // Edits can arrive out of order: the one sent last wins.
                    if (target.State.EditedAt is { } previous && previous > envelope.SentAt)
                    {
                        return null;
                    }
                    return target.State with { EditedText = edit.Text, EditedAt = envelope.SentAt };
                });

            case DeleteContent delete:
                return Modify(conversation, delete.Target, senderDeviceId, senderUsername, ownOnly: true,
                    target => target.State.Deleted ? null : target.State with { Deleted = true });

            case ReactionContent reaction:
                return Modify(conversation, reaction.Target, senderDeviceId, senderUsername, ownOnly: false, target =>
                {
                    if (target.State.Deleted)
                    {
                        return null;
                    }
                    var reactions = target.State.Reactions.Where(r => !(r.Reactor == author && r.Emoji == reaction.Emoji)).ToList();
                    if (!reaction.Remove)
                    {
                        reactions.Add(new MessageReaction(author, reaction.Emoji, envelope.SentAt));
                    }
                    return target.State with { Reactions = reactions };
                });

            case DeliveryReceiptContent receipt:
                return Receipts(conversation, receipt.Targets, author, isOutgoing, envelope.SentAt, read: false);

            case ReadReceiptContent receipt:
                return Receipts(conversation, receipt.Targets, author, isOutgoing, envelope.SentAt, read: true);

            case DisappearingTimerContent timer:
                // The notice itself follows the new setting.
                SaveConversation(current with { DisappearingTimer = timer.Timer });
                return Add(conversation, envelope, envelopeBytes, senderDeviceId, senderUsername, isOutgoing, status);

            case ConversationInfoContent info:
                SaveConversation(current with { Kind = info.ConversationKind, DisplayName = info.Title });
                return Add(conversation, envelope, envelopeBytes, senderDeviceId, senderUsername, isOutgoing, status);

            case AttachmentContent attachment:
            {
                var outcome = Add(conversation, envelope, envelopeBytes, senderDeviceId, senderUsername, isOutgoing, status);
                if (outcome.Message is { } added)
                {
                    AddAttachment(added.LocalId, attachment.Attachment);
                }
                return outcome;
            }

            case ChannelHistoryContent:
                return new EnvelopeOutcome(EnvelopeResult.Rejected, [], "a channel's shared posts are added by the channel, not kept as a message");

            default:
                // Text, reply, and content this version cannot show (kept as "unsupported message").
                return Add(conversation, envelope, envelopeBytes, senderDeviceId, senderUsername, isOutgoing, status);
        }
    }

    /// <summary>The server accepted an outbox entry: removes it and marks its message sent.</summary>
    public StoredMessage? MarkOutboxSent(OutboxId id) => CompleteOutbox(id, DeliveryStatus.Sent);

    /// <summary>The server refused an outbox entry for good: removes it and marks its message failed.</summary>
    public StoredMessage? MarkOutboxFailed(OutboxId id) => CompleteOutbox(id, DeliveryStatus.Failed);

    private StoredMessage? CompleteOutbox(OutboxId id, DeliveryStatus status)
    {
        var item = GetOutboxItem(id);
        if (item is null)
        {
            return null;
        }
        RemoveFromOutbox(id);
        if (item.LocalMessage is { } local && GetMessage(local) is { } message && message.State.Status == DeliveryStatus.Pending)
        {
            return UpdateMessage(message, message.State with { Status = status });
        }
        return null;
    }

    private EnvelopeOutcome Add(ConversationId conversation, ContentEnvelope envelope, byte[] envelopeBytes, string senderDeviceId,
        string? senderUsername, bool isOutgoing, DeliveryStatus status)
    {
        var added = AddMessage(new NewMessage(conversation, envelope, envelopeBytes, senderDeviceId, senderUsername, isOutgoing, status));
        return added is null ? new EnvelopeOutcome(EnvelopeResult.Duplicate, []) : new EnvelopeOutcome(EnvelopeResult.Added, [added]);
    }

    private EnvelopeOutcome Modify(ConversationId conversation, string targetId, string senderDeviceId, string? senderUsername, bool ownOnly,
        Func<StoredMessage, MessageState?> change)
    {
        var target = FindMessage(conversation, targetId);
        if (target is null)
        {
            return new EnvelopeOutcome(EnvelopeResult.TargetMissing, [], $"message {targetId} is not in the history");
        }
        if (ownOnly && !SameAccount(target, senderDeviceId, senderUsername))
        {
            return new EnvelopeOutcome(EnvelopeResult.Rejected, [], "only the account that sent a message may edit or delete it");
        }
        var state = change(target);
        return state is null
            ? new EnvelopeOutcome(EnvelopeResult.Updated, [])
            : new EnvelopeOutcome(EnvelopeResult.Updated, [UpdateMessage(target, state)]);
    }

    // A receipt from another account updates this account's outgoing messages; a read receipt from this
    // account's own other device marks the incoming messages read here too.
    private EnvelopeOutcome Receipts(ConversationId conversation, IReadOnlyList<string> targets, string author, bool fromOwnAccount,
        DateTimeOffset at, bool read)
    {
        var changed = new List<StoredMessage>();
        bool anyFound = false;
        foreach (string targetId in targets)
        {
            var target = FindMessage(conversation, targetId);
            if (target is null)
            {
                continue;
            }
            anyFound = true;
            if (fromOwnAccount)
            {
                if (read && !target.IsOutgoing && !target.State.Read)
                {
                    changed.Add(UpdateMessage(target, target.State with { Read = true }));
                }
                continue;
            }
            if (!target.IsOutgoing)
            {
                continue;
            }
            var receipts = target.State.Receipts.ToList();
            int i = receipts.FindIndex(r => r.Recipient == author);
            var existing = i >= 0 ? receipts[i] : new MessageReceipt(author, null, null);
            var updated = existing with
            {
                DeliveredAt = existing.DeliveredAt ?? at,
                ReadAt = read ? existing.ReadAt ?? at : existing.ReadAt,
            };
            if (updated == existing)
            {
                continue;
            }
            if (i >= 0)
            {
                receipts[i] = updated;
            }
            else
            {
                receipts.Add(updated);
            }
            changed.Add(UpdateMessage(target, target.State with { Receipts = receipts }));
        }
        return anyFound || targets.Count == 0
            ? new EnvelopeOutcome(EnvelopeResult.Updated, changed)
            : new EnvelopeOutcome(EnvelopeResult.TargetMissing, [], "none of the messages is in the history");
    }

    private static bool SameAccount(StoredMessage target, string senderDeviceId, string? senderUsername)
        => target.SenderUsername is not null && senderUsername is not null
            ? string.Equals(target.SenderUsername, senderUsername, StringComparison.Ordinal)
            : string.Equals(target.SenderDeviceId, senderDeviceId, StringComparison.Ordinal);
}
