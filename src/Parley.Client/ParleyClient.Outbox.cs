// Parley server protocol v1, "POST /v1/groups/{groupId}/messages": everything this device sends goes
// through the store's outbox, saved with the group state that produced it, and is sent under its
// delivery id, so a retry after a crash or a lost answer is idempotent.
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>What became of one outbox entry.</summary>
    private enum SendOutcome
    {
        /// <summary>The server accepted it (now or on an earlier try).</summary>
        Accepted,

        /// <summary>A commit lost the race for its epoch; it was discarded.</summary>
        Stale,

        /// <summary>The server refused it for good; it was discarded.</summary>
        Refused,

        /// <summary>The server could not be reached; it stays in the outbox.</summary>
        Queued,
    }

    /// <summary>Sends what waits in the outbox, oldest first, stopping at the first entry the server cannot take now.
    /// Returns false when something is still queued.</summary>
    private async Task<bool> FlushOutboxAsync(CancellationToken cancellationToken)
    {
        foreach (var item in _store.GetOutbox())
        {
            var (outcome, _) = await SendOutboxItemAsync(item, cancellationToken).ConfigureAwait(false);
            if (outcome == SendOutcome.Queued)
            {
                return false;
            }
        }
        return true;
    }

    private async Task<(SendOutcome Outcome, ServerProblemException? Problem)> SendOutboxItemAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var conversation = _store.GetConversation(item.Conversation);
        if (conversation is null)
        {
            using var orphan = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            orphan.RemoveFromOutbox(item.Id);
            orphan.Commit();
            return (SendOutcome.Refused, null);
        }
        try
        {
            if (!await TrySendSealedAsync(item, conversation, cancellationToken).ConfigureAwait(false))
            {
                await ServerFor(conversation.Id).SendMessageAsync(conversation.GroupId, new SendRequest(item.DeliveryId, item.Message, item.Welcome, item.GroupInfo,
                    NextDeliveryKey(item, conversation)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ServerUnavailableException)
        {
            return (SendOutcome.Queued, null);
        }
        catch (ServerProblemException p) when (p.Status >= 500 || p.Code == "rate_limited")
        {
            return (SendOutcome.Queued, p);
        }
        catch (ServerProblemException p)
        {
            bool stale = p.Code == "stale_epoch";
            await AbandonAsync(item, cancellationToken).ConfigureAwait(false);
            return (stale && item.Kind == OutboxKind.Commit ? SendOutcome.Stale : SendOutcome.Refused, p);
        }
        await ConfirmAsync(item, cancellationToken).ConfigureAwait(false);
        return (SendOutcome.Accepted, null);
    }

    // The server accepted the entry: merge a commit, mark a message sent, and drop the entry, in one transaction.
    private async Task ConfirmAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var conversation = transaction.GetConversation(item.Conversation);
        if (conversation is not null && item.Kind == OutboxKind.Commit)
        {
            using var group = _store.LoadGroup(item.Conversation, _groupOptions);
            if (group.HasPendingCommit)
            {
                group.MergePendingCommit();
                transaction.SaveGroupState(item.Conversation, group);
                transaction.SaveConversation(conversation with { Members = GroupRoster.Members(group) });
            }
        }
        StoredMessage? sent = null;
        if (item.LocalMessage is { } local && transaction.GetMessage(local) is { } message)
        {
            sent = transaction.UpdateMessage(message, message.State with { Status = DeliveryStatus.Sent });
        }
        transaction.RemoveFromOutbox(item.Id);
        transaction.Commit();
        RaiseStatusChanged(conversation, sent);
    }

    // Tells that the server took or refused a message this device sent.
    private void RaiseStatusChanged(Conversation? conversation, StoredMessage? message)
    {
        if (conversation is not null && message is not null)
        {
            Raise(new MessageStatusChanged(_store.GetConversation(conversation.Id) ?? conversation, message, message.State.Status));
        }
    }

    // The server refused the entry: forget a commit (the group stays in its epoch), mark a message failed.
    private async Task AbandonAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (item.Kind == OutboxKind.Commit && transaction.GetConversation(item.Conversation) is not null)
        {
            using var group = _store.LoadGroup(item.Conversation, _groupOptions);
            if (group.HasPendingCommit)
            {
                group.DiscardPendingCommit();
                transaction.SaveGroupState(item.Conversation, group);
            }
        }
        StoredMessage? failed = null;
        if (item.LocalMessage is { } local && transaction.GetMessage(local) is { } message)
        {
            failed = transaction.UpdateMessage(message, message.State with { Status = DeliveryStatus.Failed });
        }
        var conversation = transaction.GetConversation(item.Conversation);
        transaction.RemoveFromOutbox(item.Id);
        transaction.Commit();
        RaiseStatusChanged(conversation, failed);
    }

    /// <summary>What a commit should do, decided against the group as it stands (again after each lost race). With
    /// <paramref name="Refresh"/>, a commit with nothing to apply is still made (with a path), to give the server a new epoch's
    /// GroupInfo.</summary>
    private sealed record CommitPlan(IReadOnlyList<Parley.Mls.Messages.Proposal> Proposals, IReadOnlyList<ConversationMember> Added,
        bool Refresh = false);

    /// <summary>Commits <paramref name="plan"/>'s proposals (and any pending ones), retrying on a stale epoch after
    /// processing what arrived. Returns false when the plan found nothing to do. Call with the device lock held.</summary>
    private async Task<bool> CommitAsync(ConversationId id, Func<MlsGroup, CommitPlan?> plan, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < _options.CommitAttempts; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 100 * attempt)), cancellationToken).ConfigureAwait(false);
            }
            // Catch up first: the commit must be for the group's current epoch.
            await ReceivePendingAsync(null, cancellationToken).ConfigureAwait(false);
            var conversation = _store.GetConversation(id) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
            OutboxItem item;
            using (var group = _store.LoadGroup(id, _groupOptions))
            {
                if (!group.IsActive)
                {
                    throw new ParleyClientException($"You are no longer a member of {conversation.DisplayName}.");
                }
                if (group.HasPendingCommit)
                {
                    throw new ParleyClientException($"A change to {conversation.DisplayName} is still waiting for the server; try again when it is reachable.");
                }
                var decided = plan(group);
                if (decided is null || (decided.Proposals.Count == 0 && group.PendingProposals.Count == 0 && !decided.Refresh))
                {
                    return false;
                }
                // The GroupInfo of the new epoch lets the server verify this commit and the next epoch's messages. In a chat or
                // group it carries neither the tree nor external_pub, so it lets nobody join; in a channel it carries both, so
                // holders of an invite without approval can join by external commit while no admin is online (the server
                // gives it only to them, and takes their commit only through such an invite).
                bool joinable = ChannelRules.IsChannel(group);
                var result = group.Commit(new CommitOptions
                {
                    Proposals = decided.Proposals,
                    ForcePath = decided.Refresh,
                    CreateGroupInfo = true,
                    RatchetTreeInGroupInfo = joinable,
                    ExternalPubInGroupInfo = joinable,
                });
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveGroupState(id, group);
                item = transaction.AddToOutbox(id, ContentEnvelope.NewMessageId(), OutboxKind.Commit, result.Commit.ToBytes(),
                    result.Welcome?.ToBytes(), null, decided.Added, result.GroupInfo!.ToBytes());
                transaction.Commit();
            }
            var (outcome, problem) = await SendOutboxItemAsync(item, cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case SendOutcome.Accepted:
                    return true;
                case SendOutcome.Queued:
                    throw new ServerUnavailableException($"The server at {Server} did not take the change; it will be sent when the server is reachable.");
                case SendOutcome.Refused:
                    throw new ParleyClientException($"The server refused the change to {conversation.DisplayName}: {problem?.Message}", problem!);
            }
        }
        throw new ParleyClientException("Other members kept changing the conversation at the same time; try again.");
    }
}
