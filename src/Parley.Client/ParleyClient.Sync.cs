// Parley server protocol v1, "GET /v1/mailbox", "DELETE /v1/mailbox/{id}" and "GET /v1/ws": the device
// fetches what arrived, in order, processes each delivery in one store transaction (group state, history,
// "processed" mark), and acknowledges it only after that transaction committed: exactly once.
using Parley.Content;
using System.Security.Cryptography;
using System.Threading.Channels;
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

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
    private readonly HashSet<string> _verifiedLeaves = new(StringComparer.Ordinal);
    private readonly Dictionary<ConversationId, List<string>> _unreceipted = [];
    private readonly HashSet<ConversationId> _proposalsToCommit = [];

    // A conversation this device just joined, announced (ConversationJoined) once the adder's conversation info that
    // follows the Welcome names it, or before the next delivery of another conversation, or at the end of the batch.
    private ConversationId? _unannouncedJoin;

    // True while the delivery WebSocket is open: the server then pushes the whole mailbox through it in order,
    // so a send need not fetch the mailbox over HTTP first.
    private volatile bool _deliveriesPushed;

    private int _listeners;

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
            await RefreshBlocksAsync(cancellationToken).ConfigureAwait(false);
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
                    bool done = await HandleDeliveryAsync(entry, null, ct).ConfigureAwait(false);
                    if (done)
                    {
                        await AfterReceiveAsync(null, ct, light: true).ConfigureAwait(false);
                        if (_unreceipted.Count > 0)
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
                    await RefreshBlocksAsync(ct).ConfigureAwait(false);
                    await FlushOutboxAsync(ct).ConfigureAwait(false);
                    await AfterReceiveAsync(null, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await housekeeping.CancelAsync().ConfigureAwait(false);
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
        foreach (var id in _proposalsToCommit.ToList())
        {
            await CommitPendingProposalsAsync(id, events, cancellationToken).ConfigureAwait(false);
        }
        await _store.ExpireMessagesAsync(cancellationToken).ConfigureAwait(false);
        if (!light)
        {
            // A Welcome that came last with no announcement after it (the listener's housekeeping tick).
            Announce(TakeUnannouncedJoin(), events);
            // After each pushed message ("light"), receipts wait for the listener's next batch (ReceiptDelay).
            await SendReceiptsAsync(cancellationToken).ConfigureAwait(false);
            await ReconcileOwnDevicesCoreAsync(events, cancellationToken).ConfigureAwait(false);
            await ReplenishKeyPackagesAsync(cancellationToken).ConfigureAwait(false);
            await AfterChannelSyncAsync(events, cancellationToken).ConfigureAwait(false);
        }
    }

    // Commits the proposals members left pending in a conversation (members leaving), unless someone else did, and
    // tells who left.
    private async Task CommitPendingProposalsAsync(ConversationId id, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        _proposalsToCommit.Remove(id);
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
        }
    }

    /// <summary>Fetches the mailbox page by page and handles each delivery in order. Call with the device lock held.</summary>
    private async Task ReceivePendingAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        try
        {
            long after = 0;
            while (true)
            {
                var page = await _server.GetMailboxAsync(after, 100, cancellationToken).ConfigureAwait(false);
                foreach (var entry in page)
                {
                    if (!await HandleDeliveryAsync(entry, events, cancellationToken).ConfigureAwait(false))
                    {
                        // Not processable now (a transient failure): leave it and everything after it for later.
                        return;
                    }
                    await _server.AcknowledgeAsync(entry.Id, cancellationToken).ConfigureAwait(false);
                    after = entry.Sequence;
                }
                if (page.Count < 100)
                {
                    return;
                }
            }
        }
        finally
        {
            Announce(TakeUnannouncedJoin(), events);
        }
    }

    // Only an application message of the conversation just joined can be the adder's announcement of it.
    private bool MayAnnounce(MlsMessage message, ConversationId joined)
        => message.Body is PrivateMessage pm && _store.FindConversationByGroupId(pm.GroupId)?.Id == joined;

    // Raises events that did not come from a delivery of their own (and adds them to the sync's report).
    private void Announce(IEnumerable<ClientEvent> raised, List<ClientEvent>? events)
    {
        foreach (var e in raised)
        {
            events?.Add(e);
            Raise(e);
        }
    }

    // The join not announced yet, as an event naming the conversation as it stands (its adder unknown).
    private List<ClientEvent> TakeUnannouncedJoin()
    {
        if (_unannouncedJoin is not { } id)
        {
            return [];
        }
        _unannouncedJoin = null;
        return _store.GetConversation(id) is { } conversation ? [new ConversationJoined(conversation, null)] : [];
    }

    /// <summary>Processes one delivery; true when it is stored (or was already, or was dropped) and may be acknowledged.</summary>
    private async Task<bool> HandleDeliveryAsync(MailboxEntry entry, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        if (_store.IsDeliveryProcessed(entry.Id))
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
            return await DropAsync(entry.Id, "it is not an MLS message", events, cancellationToken).ConfigureAwait(false);
        }
        if (_unannouncedJoin is { } joined && !MayAnnounce(message, joined))
        {
            Announce(TakeUnannouncedJoin(), events);
        }
        List<ClientEvent> raised;
        try
        {
            raised = message.WireFormat == WireFormat.MlsWelcome
                ? await JoinAsync(entry.Id, message, cancellationToken).ConfigureAwait(false)
                : await ProcessGroupMessageAsync(entry.Id, message, entry.Stamp, cancellationToken).ConfigureAwait(false);
        }
        catch (DeliveryRejected rejected)
        {
            return await DropAsync(entry.Id, rejected.Message, events, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerUnavailableException or ServerProblemException { Status: >= 500 })
        {
            // Verifying a sender needed the directory and the server is away: try again later.
            return false;
        }
        Announce(raised.Where(Shown), events);
        return true;
    }

    private async Task<bool> DropAsync(string deliveryId, string reason, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.MarkDeliveryProcessed(deliveryId);
            transaction.Commit();
        }
        var dropped = new DeliveryDropped(deliveryId, reason);
        events?.Add(dropped);
        Raise(dropped);
        return true;
    }

    /// <summary>A delivery this device will never be able to process.</summary>
    private sealed class DeliveryRejected(string reason) : Exception(reason);

    // ---- Welcome ------------------------------------------------------------------------------

    private async Task<List<ClientEvent>> JoinAsync(string deliveryId, MlsMessage message, CancellationToken cancellationToken)
    {
        if (await TryJoinChannelAsync(deliveryId, message, cancellationToken).ConfigureAwait(false) is { } joinedChannel)
        {
            return joinedChannel;
        }
        var welcome = message.Welcome!;
        StoredKeyPackage? stored = null;
        using (var lookup = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var secrets in welcome.Secrets)
            {
                stored = lookup.FindKeyPackage(secrets.NewMember);
                if (stored is not null)
                {
                    break;
                }
            }
        }
        if (stored is null)
        {
            throw new DeliveryRejected("a Welcome names none of this device's key packages");
        }
        MlsGroup group;
        using (stored)
        {
            using var bundle = _leaf.Bundle(new GeneratedKeyPackage(stored.Ref, stored.Message, stored.InitPrivateKey, stored.EncryptionPrivateKey));
            try
            {
                group = MlsGroup.JoinFromWelcome(message, bundle, null, _groupOptions);
            }
            catch (MlsException e)
            {
                throw new DeliveryRejected("a Welcome could not be opened: " + e.Message);
            }
        }
        using (group)
        {
            // A device removed from a conversation (or whose account left it) keeps it, read-only; a Welcome to the
            // same group is a new membership of that conversation, whose history stays.
            var previous = _store.FindConversationByGroupId(group.GroupId);
            if (previous is not null && IsMember(previous.Id))
            {
                throw new DeliveryRejected("a Welcome to a conversation this device is already in");
            }
            // Every leaf must be a device certified by its account's pinned identity key.
            var leaves = GroupRoster.Leaves(group);
            foreach (var leaf in leaves)
            {
                if (await VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    throw new DeliveryRejected($"a Welcome to a group with an unverifiable member ({problem})");
                }
            }
            var members = GroupRoster.Members(group);
            var now = Now;
            // The adder tells the kind, title and timer right after the Welcome; until then a returning member keeps the
            // conversation's kind and title, and no timer (it may have been turned off meanwhile).
            var conversation = previous is null
                ? new Conversation(ConversationId.New(), ConversationKind.Group, DefaultTitle(members), group.GroupId, null, members, now, now, 0)
                : previous with { DisappearingTimer = null, Members = members, LastActivityAt = now };
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.SaveConversation(conversation);
            transaction.SaveGroupState(conversation.Id, group);
            if (!stored.LastResort)
            {
                transaction.DeleteKeyPackage(stored.Ref);
            }
            transaction.MarkDeliveryProcessed(deliveryId);
            transaction.Commit();
            _unannouncedJoin = conversation.Id;
            return [];
        }
    }

    private string DefaultTitle(IReadOnlyList<ConversationMember> members)
    {
        var others = members.Select(m => m.Username).Where(u => u != Username).ToList();
        return others.Count == 0 ? Username : string.Join(", ", others);
    }

    // ---- Group messages -----------------------------------------------------------------------

    private async Task<List<ClientEvent>> ProcessGroupMessageAsync(string deliveryId, MlsMessage message, byte[]? stamp, CancellationToken cancellationToken)
    {
        byte[] groupId = message.Body switch
        {
            PublicMessage pm => pm.Content.GroupId,
            PrivateMessage pm => pm.GroupId,
            _ => throw new DeliveryRejected($"a {message.WireFormat} message is not for a group"),
        };
        var conversation = _store.FindConversationByGroupId(groupId) ?? throw new DeliveryRejected("a message for a conversation this device is not in");
        var events = new List<ClientEvent>();
        using var group = _store.LoadGroup(conversation.Id, _groupOptions);
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

        switch (processed)
        {
            case ApplicationMessage application:
            {
                var sender = GroupRoster.At(group, application.Sender.LeafIndex)
                             ?? throw new DeliveryRejected("a message from a blank leaf");
                if (ChannelRules.SenderProblem(group, sender) is { } notAdmin)
                {
                    throw new DeliveryRejected(notAdmin);
                }
                if (await VerifyMemberLeafAsync(group, sender, cancellationToken).ConfigureAwait(false) is { } problem)
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
                RequireFranked(application, envelope);
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveGroupState(conversation.Id, group);
                int first = events.Count;
                events.AddRange(ContentEffects.Apply(transaction, conversation.Id, envelope, application.Data, sender.DeviceId, sender.Username!,
                    Username, sentByThisDevice: false));
                if (envelope.Content is ChannelHistoryContent shared && ChannelRules.IsChannel(group)
                    && ChannelHistory.Apply(transaction, conversation.Id, group, shared, Username) is > 0 and var added)
                {
                    events.Add(new ConversationUpdated(transaction.GetConversation(conversation.Id)!,
                        $"shared {added} recent post{(added == 1 ? "" : "s")} (see `parley channel read {conversation.DisplayName}`)", sender.Username));
                }
                AfterEnvelope(transaction, envelope, events, stamp);
                transaction.MarkDeliveryProcessed(deliveryId);
                transaction.Commit();
                if (_unannouncedJoin == conversation.Id)
                {
                    // The adder's announcement: the join is told with the conversation's title and who added this device.
                    _unannouncedJoin = null;
                    bool announcement = envelope.Content is ConversationInfoContent;
                    if (announcement)
                    {
                        events.RemoveAll(e => e is ConversationUpdated);
                    }
                    events.Insert(first, new ConversationJoined(_store.GetConversation(conversation.Id)!, announcement ? sender.Username : null));
                }
                foreach (var received in events.OfType<MessageReceived>())
                {
                    if (!received.Message.IsOutgoing && received.Message.Content is TextContent or ReplyContent or AttachmentContent && Shown(received))
                    {
                        (_unreceipted.TryGetValue(conversation.Id, out var list) ? list : _unreceipted[conversation.Id] = []).Add(received.Message.MessageId);
                    }
                }
                break;
            }
            case OwnMessage:
            {
                // Our own message echoed back: nothing to show, only mark it done.
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveGroupState(conversation.Id, group);
                transaction.MarkDeliveryProcessed(deliveryId);
                transaction.Commit();
                break;
            }
            case ProposalMessage proposal:
            {
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveGroupState(conversation.Id, group);
                transaction.MarkDeliveryProcessed(deliveryId);
                transaction.Commit();
                if (proposal.Proposal is Remove && !ChannelRules.IsSubscriber(group))
                {
                    // A member left (proposed removing its own leaves): commit it on its behalf.
                    _proposalsToCommit.Add(conversation.Id);
                }
                break;
            }
            case CommitMessage commit:
            {
                string? by = commit.Sender.Type == SenderType.Member ? UsernameOf(before, conversation, commit.SenderCredential) : null;
                if (commit.SelfRemoved)
                {
                    using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    transaction.SaveGroupState(conversation.Id, group);
                    transaction.MarkDeliveryProcessed(deliveryId);
                    transaction.Commit();
                    events.Add(new RemovedFromConversation(conversation, by));
                    break;
                }
                foreach (var added in commit.AddedMembers)
                {
                    if (GroupRoster.At(group, added) is { } leaf
                        && await VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
                    {
                        events.Add(new DeliveryDropped(deliveryId, $"warning: {by ?? "a member"} added an unverifiable device ({problem}); its messages will be refused"));
                    }
                }
                var after = GroupRoster.Members(group);
                var addedAccounts = after.Select(m => m.Username).Except(before.Select(m => m.Username)).ToList();
                var removedAccounts = before.Select(m => m.Username).Except(after.Select(m => m.Username)).ToList();
                var leftAccounts = removedAccounts.Where(account => LeftOnItsOwn(account, commit, leavesBefore)).ToList();
                using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    transaction.SaveGroupState(conversation.Id, group);
                    var updated = conversation with { Members = after };
                    transaction.SaveConversation(updated);
                    transaction.MarkDeliveryProcessed(deliveryId);
                    transaction.Commit();
                    conversation = updated;
                }
                if (addedAccounts.Count > 0 || removedAccounts.Count > 0)
                {
                    events.Add(new MembershipChanged(conversation, addedAccounts, removedAccounts.Except(leftAccounts).ToList(), by) { Left = leftAccounts });
                }
                break;
            }
        }
        return events;
    }

    // True when every Remove of the account's devices in the commit was proposed by a device of that same account
    // (it left, and another member committed its proposals), rather than by someone removing it.
    private static bool LeftOnItsOwn(string account, CommitMessage commit, IReadOnlyList<RosterLeaf> leavesBefore)
    {
        var ownLeaves = leavesBefore.Where(l => l.Username == account).Select(l => l.Leaf).ToHashSet();
        var removals = commit.Proposals.Where(p => p.Proposal is Remove r && ownLeaves.Contains(r.Removed)).ToList();
        return removals.Count > 0 && removals.All(p => p.Sender.Type == SenderType.Member && ownLeaves.Contains(p.Sender.LeafIndex));
    }

    private static string? UsernameOf(IReadOnlyList<ConversationMember> members, Conversation conversation, Credential? credential)
    {
        if (credential?.Identity is not { } identity)
        {
            return null;
        }
        string deviceId = System.Text.Encoding.ASCII.GetString(identity);
        return members.FirstOrDefault(m => m.DeviceIds.Contains(deviceId))?.Username ?? conversation.UsernameOf(deviceId);
    }

    /// <summary>Checks that a leaf is a device of the account it names: its credential names the device id of its
    /// signature key, and its certificate verifies under the account's pinned identity key (pinned now if new).
    /// Returns null when it does, else the reason.</summary>
    private async Task<string?> VerifyLeafAsync(RosterLeaf leaf, ushort suite, CancellationToken cancellationToken)
    {
        if (leaf.Binding is not { } binding)
        {
            return "it names no account";
        }
        if (leaf.DeviceId != DeviceIdentity.DeriveDeviceId(leaf.Node.SignatureKey))
        {
            return "its credential does not match its key";
        }
        string cacheKey = binding.Username + "/" + Convert.ToHexString(leaf.Node.SignatureKey);
        if (_verifiedLeaves.Contains(cacheKey))
        {
            return null;
        }
        byte[] identityKey;
        if (binding.Username == Username)
        {
            identityKey = Identity.AccountIdentityPublicKey;
        }
        else
        {
            var contact = _store.GetContact(binding.Username);
            if (contact is null)
            {
                var entry = await _server.GetAccountAsync(binding.Username, cancellationToken).ConfigureAwait(false);
                try
                {
                    contact = PinIdentityKey(binding.Username, entry.IdentityKey);
                }
                catch (IdentityKeyChangedException)
                {
                    return $"{binding.Username}'s identity key changed";
                }
            }
            if (contact.IdentityChanged)
            {
                return $"{binding.Username}'s identity key changed";
            }
            identityKey = contact.IdentityKey;
        }
        if (!binding.Verifies(identityKey, suite, leaf.Node.SignatureKey))
        {
            return $"its certificate does not verify under {binding.Username}'s identity key";
        }
        _verifiedLeaves.Add(cacheKey);
        return null;
    }

    // Delivery receipts for what this sync received, one message per conversation.
    private async Task SendReceiptsAsync(CancellationToken cancellationToken)
    {
        if (!_options.SendDeliveryReceipts || _unreceipted.Count == 0)
        {
            return;
        }
        foreach (var (id, targets) in _unreceipted.ToList())
        {
            _unreceipted.Remove(id);
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
