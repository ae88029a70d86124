// Application messages (docs/client-envelope.md): the receive pipeline's handler for content. It checks the
// sender (an admin in a channel, a device certified by its account), decodes the envelope and its franking,
// and applies the content to the history; what was shown waits for a delivery receipt.
using Parley.Client.Channels;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Moderation;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Group;

namespace Parley.Client.Messages;

/// <summary>Checks and applies received application messages.</summary>
internal sealed class MessageHandler(DeviceContext device, LeafVerifier verifier, BlockList blocks, ReceiptQueue receipts, MembershipHandler membership)
{
    /// <summary>Verifies the sender and the envelope of <paramref name="application"/>, and says how to apply its content.</summary>
    public async Task<DeliveryEffect> HandleAsync(GroupDelivery delivery, ApplicationMessage application, CancellationToken cancellationToken)
    {
        var (conversation, group) = (delivery.Conversation, delivery.Group);
        var sender = GroupRoster.At(group, application.Sender.LeafIndex)
                     ?? throw new DeliveryRejected("a message from a blank leaf");
        if (ChannelRules.SenderProblem(group, sender) is { } notAdmin)
        {
            throw new DeliveryRejected(notAdmin);
        }
        if (await verifier.VerifyMemberLeafAsync(group, sender, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new DeliveryRejected($"a message from an unverifiable device ({problem})");
        }
        ContentEnvelope envelope;
        try
        {
            envelope = ContentEnvelope.Decode(application.Data);
        }
        catch (EnvelopeFormatException e)
        {
            throw new DeliveryRejected("a message with an unreadable envelope: " + e.Message);
        }
        ReportableMessages.RequireFranked(application, envelope);
        string senderName = sender.Username!;
        return new DeliveryEffect((transaction, events) =>
        {
            events.AddRange(ContentEffects.Apply(transaction, conversation.Id, envelope, application.Data, sender.DeviceId, senderName,
                device.Username, sentByThisDevice: false));
            if (envelope.Content is ChannelHistoryContent shared && ChannelRules.IsChannel(group)
                && ChannelHistory.Apply(transaction, conversation.Id, group, shared, device.Username) is > 0 and var added)
            {
                events.Add(new ChannelHistoryShared(transaction.GetConversation(conversation.Id)!, added, senderName));
            }
            byte[]? evidence = delivery.Stamp is { } stamp ? SenderProof.Store(stamp, ParleyClient.SenderProofOf(application, sender.DeviceId)) : null;
            ReportableMessages.KeepEvidence(transaction, envelope, events, evidence, blocks);
        }, events =>
        {
            membership.AnnounceJoin(conversation.Id, envelope.Content, senderName, events);
            foreach (var received in events.OfType<MessageReceived>())
            {
                if (!received.Message.IsOutgoing && received.Message.Content is TextContent or ReplyContent or AttachmentContent && blocks.Shown(received))
                {
                    receipts.Add(conversation.Id, received.Message.MessageId);
                }
            }
        });
    }
}
