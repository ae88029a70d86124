// Reactions and receipts (docs/client-envelope.md §2, "Applying envelopes"): a reaction changes the message it names; a
// recipient's delivery or read receipt marks this account's messages; a read receipt from another of this
// account's devices marks the messages read here too. At most 500 targets of one receipt are applied.
using Parley.Client.Sync;
using Parley.Content;

namespace Parley.Client.Messages;

/// <summary>Applies reactions, delivery receipts and read receipts.</summary>
internal sealed class ReactionsAndReceipts : IContentHandler
{
    private const int MaxTargets = 500;

    public bool Apply(ContentApplication application)
    {
        string sender = application.SenderUsername;
        var sentAt = application.Envelope.SentAt;
        switch (application.Envelope.Content)
        {
            case ReactionContent reaction:
                application.Update(reaction.Target, m =>
                {
                    var reactions = m.State.Reactions.Where(r => !(r.Reactor == sender && r.Emoji == reaction.Emoji)).ToList();
                    if (!reaction.Remove)
                    {
                        reactions.Add(new MessageReaction(sender, reaction.Emoji, sentAt));
                    }
                    return m.State.Deleted ? null : m.State with { Reactions = reactions };
                }, reaction.Remove ? "reaction removed" : "reaction");
                return true;
            case DeliveryReceiptContent delivered:
                if (!application.Outgoing)
                {
                    foreach (string target in delivered.Targets.Take(MaxTargets))
                    {
                        application.Update(target, m => m.IsOutgoing ? m.State with { Receipts = Receipt(m.State.Receipts, sender, sentAt, null) } : null, "delivered");
                    }
                }
                return true;
            case ReadReceiptContent read when !application.Outgoing:
                foreach (string target in read.Targets.Take(MaxTargets))
                {
                    application.Update(target, m => m.IsOutgoing ? m.State with { Receipts = Receipt(m.State.Receipts, sender, sentAt, sentAt) } : null, "read");
                }
                return true;
            case ReadReceiptContent read:
                // Read on another of this account's devices: read here too.
                foreach (string target in read.Targets.Take(MaxTargets))
                {
                    application.Update(target, m => !m.IsOutgoing && !m.State.Read ? m.State with { Read = true } : null, "read");
                }
                return true;
            default:
                return false;
        }
    }

    private static List<MessageReceipt> Receipt(IReadOnlyList<MessageReceipt> receipts, string recipient, DateTimeOffset delivered, DateTimeOffset? read)
    {
        var list = receipts.Where(r => r.Recipient != recipient).ToList();
        var old = receipts.FirstOrDefault(r => r.Recipient == recipient);
        list.Add(new MessageReceipt(recipient, old?.DeliveredAt ?? delivered, read ?? old?.ReadAt));
        return list;
    }
}
