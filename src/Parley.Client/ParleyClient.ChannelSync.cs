// Private channels after each sync (docs/channels.md): channels joined through ordinary Welcomes get their record,
// records of deleted channels go, subscriber leaves move to queues, and an admin's device adds the join requests
// that need no approval and announces the others once.
using Parley.Mls.Crypto;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    // ---- After a sync ---------------------------------------------------------------------------

    /// <summary>After a sync: records channels joined through ordinary Welcomes, forgets records of deleted channels, and
    /// on admin devices adds the pending join requests of invites that need no approval. Call with the device lock held.</summary>
    private async Task AfterChannelSyncAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        foreach (var id in _historyDue.ToList())
        {
            _historyDue.Remove(id);
            if (_store.GetConversation(id) is { } joinedTo && DescribeChannel(joinedTo) is { IsAdmin: true, IsActive: true } administered)
            {
                try
                {
                    await ShareHistoryAsync(administered, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ServerProblemException or ParleyClientException)
                {
                    // The subscriber starts without the earlier posts.
                }
            }
        }
        foreach (byte[] groupId in _channels.TakeSeen())
        {
            if (_store.FindConversationByGroupId(groupId) is { } joined && _store.GetPrivateChannel(joined.Id) is null)
            {
                DescribeChannel(joined);
            }
        }
        foreach (var record in _store.GetChannelRecords())
        {
            if (record is PendingChannelJoin join)
            {
                join.Dispose();
                continue;
            }
            if (record is not PrivateChannelRecord channelRecord)
            {
                continue;
            }
            if (_store.GetConversation(channelRecord.Conversation) is not { } conversation)
            {
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.DeleteChannelRecord(channelRecord);
                transaction.Commit();
                continue;
            }
            if (channelRecord.Pseudonymous)
            {
                if (channelRecord.ActiveQueueToken is null)
                {
                    await MoveToQueueAsync(conversation, channelRecord, events, cancellationToken).ConfigureAwait(false);
                }
                continue;
            }
            try
            {
                var channel = DescribeChannel(conversation);
                if (channel is not { IsAdmin: true, IsActive: true })
                {
                    continue;
                }
                var requests = await _server.ListJoinRequestsAsync(channel.GroupId, cancellationToken).ConfigureAwait(false);
                await HandleJoinRequestsAsync(conversation, channel, channelRecord, requests, events, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ServerProblemException or ParleyClientException)
            {
                // Another admin was faster, or the server refused: next sync.
            }
        }
    }

    // A subscriber leaf from before queues: hands it from this device to a fresh queue, so the server no longer links the
    // subscriber to the device. The token is stored (marked as moving) before the server is asked, and the device keeps
    // acting for the leaf until the server confirmed; a move cut short is finished on a later sync (a second request finds
    // the device no longer in the channel). Call with the device lock held.
    private async Task MoveToQueueAsync(Conversation conversation, PrivateChannelRecord record, List<ClientEvent>? events,
        CancellationToken cancellationToken)
    {
        using (var group = _store.LoadGroup(conversation.Id, _groupOptions))
        {
            if (!group.IsActive)
            {
                return;
            }
        }
        var moving = record.QueueToken is null
            ? record with { QueueToken = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), QueueMoving = true }
            : record;
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord(moving);
            transaction.Commit();
        }
        try
        {
            await _server.MoveToQueueAsync(conversation.GroupId, moving.QueueToken!, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code == "channel_not_found")
        {
            // Moved already by a request whose answer was lost (or this device is no longer in the channel).
        }
        catch (ServerUnavailableException)
        {
            return;
        }
        // What was sent to the device before the move is in its own mailbox: take it before anything from the queue.
        await _pipeline.ReceiveFromAsync(_server, events, cancellationToken).ConfigureAwait(false);
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord((_store.GetPrivateChannel(conversation.Id) ?? moving) with { QueueToken = moving.QueueToken, QueueMoving = false });
            transaction.Commit();
        }
    }

    // An admin device's part in the requests the server holds for a channel: adds those of invites that need no approval
    // and announces the others once. Call with the device lock held.
    private async Task HandleJoinRequestsAsync(Conversation conversation, PrivateChannel channel, PrivateChannelRecord record,
        IReadOnlyList<PendingJoinEntry> requests, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        var automatic = requests.Where(r => !r.Approval).ToList();
        if (automatic.Count > 0)
        {
            await AddJoinRequestsAsync(channel, automatic, cancellationToken).ConfigureAwait(false);
        }
        await AnnounceJoinRequestsAsync(conversation, channel, record, requests, events, cancellationToken).ConfigureAwait(false);
    }

    // Tells this device's person once about each request that waits for an admin's approval; the record keeps the
    // ids still pending, so a request is announced again only on another admin device.
    private async Task AnnounceJoinRequestsAsync(Conversation conversation, PrivateChannel channel, PrivateChannelRecord record,
        IReadOnlyList<PendingJoinEntry> requests, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        var waiting = requests.Where(r => r.Approval).Select(r => r.RequestId).ToList();
        var announced = record.AnnouncedRequests ?? [];
        if (waiting.SequenceEqual(announced))
        {
            return;
        }
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord((_store.GetPrivateChannel(record.Conversation) ?? record) with { AnnouncedRequests = waiting });
            transaction.Commit();
        }
        foreach (string id in waiting.Except(announced, StringComparer.Ordinal))
        {
            var e = new JoinRequested(conversation, channel.Name, id);
            events?.Add(e);
            Raise(e);
        }
    }
}
