// Parley server protocol v1, "GET /v1/mailbox", "DELETE /v1/mailbox/{id}" and "GET /v1/ws": syncing and
// listening. Each delivery goes through the receive pipeline (Sync/ReceivePipeline.cs: decode, verify, apply
// in one store transaction, emit), and is acknowledged only after that transaction committed: exactly once.
// After the deliveries come the chores of a sync: pending commits, own devices, receipts, key packages.
using Parley.Content;
using System.Threading.Channels;
using Parley.Client.Conversations;
using Parley.Client.Network;
using Parley.Client.Sync;

namespace Parley.Client;

/// <summary>What one sync did.</summary>
/// <param name="Events">Messages and changes processed, in order.</param>
/// <param name="Pending">Messages still waiting in the outbox (the server was unreachable).</param>
public sealed record SyncReport(IReadOnlyList<ClientEvent> Events, int Pending)
{
    /// <summary>The messages received, in order.</summary>
    public IEnumerable<MessageReceived> Messages => Events.OfType<MessageReceived>();
}

public sealed partial class ParleyClient
{
    /// <summary>True while <see cref="ListenAsync"/> runs: events arrive by themselves, and a second listener on the
    /// same device would replace the first one's connection.</summary>
    public bool IsListening => Volatile.Read(ref _listeners) > 0;

    /// <summary>Refreshes the block list from the server, sends what waits in the outbox, fetches and processes
    /// everything in the mailbox (in order, acknowledging each delivery after it is stored), commits proposals members
    /// left pending, adds this account's new devices to conversations, tops up key packages, deletes expired messages
    /// and sends delivery receipts.</summary>
    public async Task<SyncReport> SyncAsync(CancellationToken cancellationToken = default)
    {
        var events = new List<ClientEvent>();
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await _blocks.RefreshAsync(cancellationToken).ConfigureAwait(false);
            await FlushOutboxAsync(cancellationToken).ConfigureAwait(false);
            await ReceivePendingAsync(events, cancellationToken).ConfigureAwait(false);
            await AfterReceiveAsync(events, cancellationToken).ConfigureAwait(false);
        }
        return new SyncReport(events, _store.GetOutbox().Count);
    }

    /// <summary>Keeps the delivery WebSocket open until cancelled (reconnecting with backoff; each connection first
    /// refreshes the block list), processing each message as it arrives and raising <see cref="EventRaised"/>.
    /// Returns why it stopped.</summary>
    public async Task<DeliveryStop> ListenAsync(CancellationToken cancellationToken = default, Action<bool>? connectionChanged = null)
    {
        Interlocked.Increment(ref _listeners);
        try
        {
            return await ListenCoreAsync(connectionChanged, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _listeners);
        }
    }

    private async Task<DeliveryStop> ListenCoreAsync(Action<bool>? connectionChanged, CancellationToken cancellationToken)
    {
        var socket = new DeliverySocket(_server);
        socket.ConnectionChanged += open => _deliveriesPushed = open;
        if (connectionChanged is not null)
        {
            socket.ConnectionChanged += connectionChanged;
        }
        using var housekeeping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        StartQueueSockets(housekeeping.Token);
        var receiptsDue = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var receipts = Task.Run(async () =>
        {
            while (await receiptsDue.Reader.ReadAsync(housekeeping.Token).ConfigureAwait(false))
            {
                await Task.Delay(_options.ReceiptDelay, _options.Time, housekeeping.Token).ConfigureAwait(false);
                try
                {
                    using (await LockAsync(housekeeping.Token).ConfigureAwait(false))
                    {
                        await SendReceiptsAsync(housekeeping.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is ServerUnavailableException or ServerProblemException or ParleyClientException)
                {
                    // The housekeeping tick tries again.
                }
            }
        }, housekeeping.Token);
        var periodic = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
            while (await timer.WaitForNextTickAsync(housekeeping.Token).ConfigureAwait(false))
            {
                try
                {
                    using (await LockAsync(housekeeping.Token).ConfigureAwait(false))
                    {
                        await FlushOutboxAsync(housekeeping.Token).ConfigureAwait(false);
                        // Channel subscriber queues are pushed through sockets of their own; a queue whose socket is not
                        // open (yet) is read here.
                        if (QueuesPushed)
                        {
                            ListenToQueues(QueueTokens());
                        }
                        else
                        {
                            await ReceiveQueuesAsync(null, housekeeping.Token).ConfigureAwait(false);
                        }
                        await AfterReceiveAsync(null, housekeeping.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is ServerUnavailableException or ServerProblemException or ParleyClientException)
                {
                    // Next tick.
                }
            }
        }, housekeeping.Token);
        try
        {
            return await socket.RunAsync(async (entry, ct) =>
            {
                using (await LockAsync(ct).ConfigureAwait(false))
                {
                    bool done = await _pipeline.HandleAsync(entry, null, ct).ConfigureAwait(false);
                    if (done)
                    {
                        await AfterReceiveAsync(null, ct, light: true).ConfigureAwait(false);
                        if (_receipts.Any)
                        {
                            receiptsDue.Writer.TryWrite(true);
                        }
                    }
                    return done;
                }
            }, async ct =>
            {
                using (await LockAsync(ct).ConfigureAwait(false))
                {
                    await _blocks.RefreshAsync(ct).ConfigureAwait(false);
                    await FlushOutboxAsync(ct).ConfigureAwait(false);
                    await ReceiveQueuesAsync(null, ct).ConfigureAwait(false);
                    await AfterReceiveAsync(null, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await housekeeping.CancelAsync().ConfigureAwait(false);
            await StopQueueSocketsAsync().ConfigureAwait(false);
            foreach (var loop in new[] { periodic, receipts })
            {
                try
                {
                    await loop.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            }
        }
    }

    // After deliveries: commit proposals left pending (members leaving), add this account's devices, key
    // packages, expiry and receipts. "light" skips what needs extra requests (after each pushed message).
    private async Task AfterReceiveAsync(List<ClientEvent>? events, CancellationToken cancellationToken, bool light = false)
    {
        foreach (var id in _membership.TakeProposalsToCommit())
        {
            await CommitPendingProposalsAsync(id, events, cancellationToken).ConfigureAwait(false);
        }
        await _store.ExpireMessagesAsync(cancellationToken).ConfigureAwait(false);
        if (!light)
        {
            // A Welcome that came last with no announcement after it (the listener's housekeeping tick).
            _pipeline.AnnounceJoin(events);
            // After each pushed message ("light"), receipts wait for the listener's next batch (ReceiptDelay).
            await SendReceiptsAsync(cancellationToken).ConfigureAwait(false);
            await ReconcileOwnDevicesCoreAsync(events, cancellationToken).ConfigureAwait(false);
            await RequestRejoinCoreAsync(force: false, cancellationToken).ConfigureAwait(false);
            await ReplenishKeyPackagesAsync(cancellationToken).ConfigureAwait(false);
            await AfterChannelSyncAsync(events, cancellationToken).ConfigureAwait(false);
        }
    }

    // Commits the proposals members left pending in a conversation (members leaving), unless someone else did, and
    // tells who left.
    private async Task CommitPendingProposalsAsync(ConversationId id, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        if (_store.GetConversation(id) is not { } before)
        {
            return;
        }
        try
        {
            if (!await CommitAsync(id, g => new CommitPlan([], []), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
        catch (ParleyClientException)
        {
            // Someone else committed them, or we were removed.
            return;
        }
        if (_store.GetConversation(id) is { } after)
        {
            var left = before.Members.Select(m => m.Username).Except(after.Members.Select(m => m.Username)).ToList();
            if (left.Count > 0)
            {
                Announce([new MembershipChanged(after, [], [], Username) { Left = left }], events);
            }
            // A device taken back on its request (docs/backup.md, "Rejoining") learns the conversation's kind, title and timer.
            var devicesBefore = before.Members.SelectMany(m => m.DeviceIds).ToHashSet(StringComparer.Ordinal);
            if (after.Members.SelectMany(m => m.DeviceIds).Any(d => !devicesBefore.Contains(d)))
            {
                await SendConversationSettingsAsync(after, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Fetches the device's mailbox, then its channel subscriber queues, and takes each delivery through the receive
    /// pipeline. Call with the device lock held.</summary>
    private async Task ReceivePendingAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.ReceiveFromAsync(_server, events, cancellationToken).ConfigureAwait(false);
            await ReceiveQueuesAsync(events, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pipeline.AnnounceJoin(events);
        }
    }

    // Raises events that did not come from a delivery of their own (and adds them to the sync's report).
    private void Announce(IEnumerable<ClientEvent> raised, List<ClientEvent>? events) => _pipeline.Emit(raised, events);

    // Delivery receipts for what this sync received, one message per conversation.
    private async Task SendReceiptsAsync(CancellationToken cancellationToken)
    {
        if (!_options.SendDeliveryReceipts || !_receipts.Any)
        {
            return;
        }
        foreach (var (id, targets) in _receipts.TakeAll())
        {
            if (_store.GetConversation(id) is null)
            {
                continue;
            }
            try
            {
                await SendCoreAsync(id, new DeliveryReceiptContent(targets), cancellationToken).ConfigureAwait(false);
            }
            catch (ParleyClientException)
            {
                // Removed meanwhile: no receipt.
            }
        }
    }
}
