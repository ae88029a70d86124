// Parley server protocol v1, "GET /v1/mailbox" and "DELETE /v1/mailbox/{id}": the receive pipeline
// (docs/architecture.md, "The receive pipeline"). Each delivery passes, in order:
//   decode   the MLS message (anything else is dropped);
//   verify   MLS opens it with the group's state (decrypts, checks signature and epoch), then the handler of
//            its kind checks what MLS cannot: the sender's device certificate, channel rules, franking;
//   apply    the handler's changes, the new group state and the "processed" mark in one store transaction;
//   emit     the events, once committed, to the sync's report and the device's event stream.
// A delivery is acknowledged only after its transaction committed: exactly once.
using Parley.Client.Channels;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Moderation;
using Parley.Client.Network;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client.Sync;

/// <summary>Takes deliveries from the mailbox (or the WebSocket) through decode, verify, apply and emit, handing each
/// kind of message to its handler: Welcomes to <see cref="ChannelReceiver"/> then <see cref="MembershipHandler"/>,
/// application messages to <see cref="MessageHandler"/>, proposals and commits to <see cref="MembershipHandler"/>.</summary>
internal sealed class ReceivePipeline(DeviceContext device, MembershipHandler membership, MessageHandler messages, ChannelReceiver channels, BlockList blocks)
{
    private const int PageSize = 100;

    /// <summary>Fetches the device's mailbox page by page and handles each delivery in order, acknowledging each once
    /// stored; then tells a join that no announcement followed. Call with the device lock held.</summary>
    public async Task ReceivePendingAsync(List<ClientEvent>? report, CancellationToken cancellationToken)
    {
        try
        {
            await ReceiveFromAsync(device.Server, report, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            AnnounceJoin(report);
        }
    }

    /// <summary>Fetches one mailbox page by page and handles each delivery in order, acknowledging it there. Stops at
    /// the first delivery that cannot be processed now. Call with the device lock held.</summary>
    public async Task ReceiveFromAsync(ParleyServerClient mailbox, List<ClientEvent>? report, CancellationToken cancellationToken)
    {
        long after = 0;
        while (true)
        {
            var page = await mailbox.GetMailboxAsync(after, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page)
            {
                if (!await HandleAsync(entry, report, cancellationToken).ConfigureAwait(false))
                {
                    // Not processable now (a transient failure): leave it and everything after it for later.
                    return;
                }
                await mailbox.AcknowledgeAsync(entry.Id, cancellationToken).ConfigureAwait(false);
                after = entry.Sequence;
            }
            if (page.Count < PageSize)
            {
                return;
            }
        }
    }

    /// <summary>Tells the join still unannounced (a Welcome that came last, with no announcement after it).</summary>
    public void AnnounceJoin(List<ClientEvent>? report) => Emit(membership.TakeUnannouncedJoin(), report);

    /// <summary>Processes one delivery; true when it is stored (or was already, or was dropped) and may be acknowledged.</summary>
    public async Task<bool> HandleAsync(MailboxEntry entry, List<ClientEvent>? report, CancellationToken cancellationToken)
    {
        if (device.Store.IsDeliveryProcessed(entry.Id))
        {
            return true;
        }
        MlsMessage message;
        try
        {
            message = MlsMessage.Decode(entry.Message);
        }
        catch (MlsDecodeException)
        {
            return await DropAsync(entry.Id, "it is not an MLS message", report, cancellationToken).ConfigureAwait(false);
        }
        Emit(membership.BeforeDelivery(message), report);
        List<ClientEvent> raised;
        try
        {
            raised = message.WireFormat == WireFormat.MlsWelcome
                ? await channels.TryJoinAsync(entry.Id, message, cancellationToken).ConfigureAwait(false)
                  ?? await membership.JoinAsync(entry.Id, message, cancellationToken).ConfigureAwait(false)
                : await ProcessGroupMessageAsync(entry.Id, message, entry.Stamp, cancellationToken).ConfigureAwait(false);
        }
        catch (DeliveryRejected rejected)
        {
            return await DropAsync(entry.Id, rejected.Message, report, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerUnavailableException or ServerProblemException { Status: >= 500 })
        {
            // Verifying a sender needed the directory and the server is away: try again later.
            return false;
        }
        Emit(raised.Where(blocks.Shown), report);
        return true;
    }

    /// <summary>Raises events (and adds them to the sync's report, when there is one).</summary>
    public void Emit(IEnumerable<ClientEvent> raised, List<ClientEvent>? report)
    {
        foreach (var e in raised)
        {
            report?.Add(e);
            device.Events.Publish(e);
        }
    }

    private async Task<List<ClientEvent>> ProcessGroupMessageAsync(string deliveryId, MlsMessage message, byte[]? stamp, CancellationToken cancellationToken)
    {
        byte[] groupId = message.Body switch
        {
            PublicMessage pm => pm.Content.GroupId,
            PrivateMessage pm => pm.GroupId,
            _ => throw new DeliveryRejected($"a {message.WireFormat} message is not for a group"),
        };
        var conversation = device.Store.FindConversationByGroupId(groupId) ?? throw new DeliveryRejected("a message for a conversation this device is not in");
        using var group = device.Store.LoadGroup(conversation.Id, device.GroupOptions);
        if (!group.IsActive)
        {
            throw new DeliveryRejected("a message for a conversation this device was removed from");
        }
        var before = GroupRoster.Members(group);
        var leavesBefore = GroupRoster.Leaves(group);
        ProcessedMessage processed;
        try
        {
            processed = group.ProcessMessage(message);
        }
        catch (MlsException e)
        {
            throw new DeliveryRejected("a message could not be decrypted or verified: " + e.Message);
        }
        var delivery = new GroupDelivery(deliveryId, stamp, conversation, group, before, leavesBefore);
        var effect = processed switch
        {
            ApplicationMessage application => await messages.HandleAsync(delivery, application, cancellationToken).ConfigureAwait(false),
            ProposalMessage proposal => await membership.ProposalAsync(delivery, proposal, cancellationToken).ConfigureAwait(false),
            CommitMessage commit => await membership.CommitAsync(delivery, commit, cancellationToken).ConfigureAwait(false),
            // Our own message echoed back: nothing to show, only mark it done.
            _ => DeliveryEffect.None,
        };
        var events = new List<ClientEvent>();
        using (var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveGroupState(conversation.Id, group);
            effect.Apply?.Invoke(transaction, events);
            transaction.MarkDeliveryProcessed(deliveryId);
            transaction.Commit();
        }
        effect.Committed?.Invoke(events);
        return events;
    }

    private async Task<bool> DropAsync(string deliveryId, string reason, List<ClientEvent>? report, CancellationToken cancellationToken)
    {
        using (var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.MarkDeliveryProcessed(deliveryId);
            transaction.Commit();
        }
        Emit([new DeliveryDropped(deliveryId, reason)], report);
        return true;
    }
}
