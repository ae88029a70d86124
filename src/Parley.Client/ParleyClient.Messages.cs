// Sending: each message is an MLS application message carrying a versioned envelope
// (docs/client-envelope.md), encrypted, stored with the group state and queued in one transaction, then sent.
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Search;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Codec;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>Sends text to a conversation; returns the stored message (status Sent, or Pending when the server
    /// could not be reached: it is sent on the next sync).</summary>
    public Task<StoredMessage> SendTextAsync(ConversationId conversation, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return SendShownAsync(conversation, new TextContent(text), cancellationToken);
    }

    /// <summary>Replies to a message (by its message id, or a prefix as <see cref="ResolveMessage"/> takes); refuses an id
    /// that names no message of the conversation, so no reply points at nothing.</summary>
    public Task<StoredMessage> ReplyAsync(ConversationId conversation, string inReplyTo, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(inReplyTo);
        ArgumentException.ThrowIfNullOrEmpty(text);
        var target = ResolveMessage(conversation, inReplyTo);
        return SendShownAsync(conversation, new ReplyContent(target.MessageId, text), cancellationToken);
    }

    /// <summary>Replaces the text of one of this account's messages, for everyone.</summary>
    public Task EditAsync(ConversationId conversation, string messageId, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var target = RequireOwnMessage(conversation, messageId);
        return SendAsync(conversation, new EditContent(target.MessageId, text), cancellationToken);
    }

    /// <summary>Deletes one of this account's messages for everyone.</summary>
    public Task DeleteForEveryoneAsync(ConversationId conversation, string messageId, CancellationToken cancellationToken = default)
    {
        var target = RequireOwnMessage(conversation, messageId);
        return SendAsync(conversation, new DeleteContent(target.MessageId), cancellationToken);
    }

    /// <summary>Deletes a message (anyone's) from this device only, with its attachment; nothing is sent, and the other
    /// members and this account's other devices keep their copies.</summary>
    public async Task DeleteForMeAsync(ConversationId conversation, string messageId, CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var target = ResolveMessage(conversation, messageId);
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.DeleteMessage(target.LocalId);
            transaction.Commit();
        }
    }

    /// <summary>Adds (or with <paramref name="remove"/>, takes back) a reaction to a message.</summary>
    public Task ReactAsync(ConversationId conversation, string messageId, string emoji, bool remove = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(emoji);
        if (emoji.Length > ContentEnvelope.MaxEmojiLength)
        {
            throw new ParleyClientException($"A reaction may have at most {ContentEnvelope.MaxEmojiLength} characters.");
        }
        var target = ResolveMessage(conversation, messageId);
        return SendAsync(conversation, new ReactionContent(target.MessageId, emoji, remove), cancellationToken);
    }

    /// <summary>How many of a conversation's newest messages a message id prefix is matched against.</summary>
    public const int MessageIdPrefixWindow = 500;

    /// <summary>Shortest message id prefix <see cref="ResolveMessage"/> accepts.</summary>
    public const int MinMessageIdPrefix = 4;

    /// <summary>The message <paramref name="idOrPrefix"/> names in a conversation: the message with that id, or else the one
    /// among the newest <see cref="MessageIdPrefixWindow"/> whose id starts with it (at least <see cref="MinMessageIdPrefix"/>
    /// characters, so people can type the short ids a chat shows). Throws when none or several match.</summary>
    public StoredMessage ResolveMessage(ConversationId conversation, string idOrPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrPrefix);
        if (_store.FindMessage(conversation, idOrPrefix) is { } exact)
        {
            return exact;
        }
        var matches = idOrPrefix.Length < MinMessageIdPrefix
            ? []
            : History(conversation, MessageIdPrefixWindow).Where(m => m.MessageId.StartsWith(idOrPrefix, StringComparison.Ordinal)).Take(2).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new ParleyClientException(ClientError.MessageNotFound, null, $"There is no message {idOrPrefix} in this conversation.",
                detail: idOrPrefix),
            _ => throw new ParleyClientException($"More than one message id starts with {idOrPrefix}; give more of the id."),
        };
    }

    /// <summary>Marks the conversation read here and tells the other members (read receipts) and this account's
    /// other devices. Returns how many messages were marked.</summary>
    public async Task<int> MarkReadAsync(ConversationId conversation, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<StoredMessage> marked;
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            marked = transaction.MarkConversationRead(conversation);
            transaction.Commit();
        }
        if (marked.Count > 0 && _store.GetConversation(conversation) is { } read)
        {
            Raise(new ConversationRead(read, marked.Count));
        }
        var targets = marked.Where(m => m.Content is TextContent or ReplyContent or AttachmentContent && !IsBlocked(m.SenderUsername)).Select(m => m.MessageId).ToList();
        if (targets.Count > 0)
        {
            await SendAsync(conversation, new ReadReceiptContent(targets), cancellationToken).ConfigureAwait(false);
        }
        return marked.Count;
    }

    /// <summary>Sends any content (receipts, reactions, edits ...) to a conversation.</summary>
    public async Task SendAsync(ConversationId conversation, MessageContent content, CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            await SendCoreAsync(conversation, content, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The newest messages of a conversation (up to <paramref name="limit"/>), oldest first.</summary>
    public IReadOnlyList<StoredMessage> History(ConversationId conversation, int limit = 50) => WithoutBlocked(_store.GetMessages(conversation, null, limit));

    /// <summary>How many messages a conversation's history holds: the positions <see cref="HistoryAt"/> reads.</summary>
    public int HistoryLength(ConversationId conversation) => checked((int)_store.CountMessages(conversation));

    /// <summary>The messages at positions <paramref name="index"/> to <paramref name="index"/> + <paramref name="count"/> - 1
    /// of a conversation's history (0 is the oldest), oldest first. Messages of blocked accounts and expired ones keep
    /// their position but are left out, so a page can hold fewer than <paramref name="count"/>.</summary>
    public IReadOnlyList<StoredMessage> HistoryAt(ConversationId conversation, int index, int count)
        => WithoutBlocked(_store.GetMessagesAt(conversation, index, count));

    /// <summary>The position in its conversation's history of the message with id <paramref name="messageId"/>
    /// (a search result to jump to), or null when there is none.</summary>
    public int? HistoryPosition(ConversationId conversation, string messageId) => _store.PositionOf(conversation, messageId);

    /// <summary>Searches the local history (never the server); messages of blocked accounts are never found.</summary>
    public Task<IReadOnlyList<SearchHit>> SearchAsync(string text, ConversationId? conversation = null, int limit = 50,
        CancellationToken cancellationToken = default)
        => _store.SearchAsync(text, conversation, limit, cancellationToken);

    private async Task<StoredMessage> SendShownAsync(ConversationId conversation, MessageContent content, CancellationToken cancellationToken)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var local = await SendCoreAsync(conversation, content, cancellationToken).ConfigureAwait(false);
            return _store.GetMessage(local!.Value) ?? throw new ParleyClientException("The message disappeared before it was sent.");
        }
    }

    // Process what arrived before encrypting, so the message is for the epoch the other members are in. While the
    // delivery WebSocket is open, what arrived is already on its way through it (and handled under this same lock,
    // in order), so fetching it again over HTTP would only spend requests: the server relays application messages
    // of an earlier epoch, and members keep recent epochs' secrets to read them.
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        if (_deliveriesPushed)
        {
            return;
        }
        try
        {
            await ReceivePendingAsync(null, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerUnavailableException)
        {
            // Offline: the message is queued and sent later.
        }
    }

    private StoredMessage RequireOwnMessage(ConversationId conversation, string messageId)
    {
        var message = ResolveMessage(conversation, messageId);
        if (!message.IsOutgoing)
        {
            throw new ParleyClientException(ClientError.NotOwnMessage, null,
                "You can only edit or delete your own messages for everyone; any message can be deleted from this device alone.");
        }
        if (message.State.Deleted)
        {
            throw new ParleyClientException($"Message {message.MessageId} was already deleted.");
        }
        return message;
    }

    /// <summary>Encrypts <paramref name="content"/> for the conversation's current epoch, applies it locally, queues
    /// it, and sends the outbox. Returns the local message when the content is shown in the history. Call with the
    /// device lock held.</summary>
    private async Task<LocalMessageId?> SendCoreAsync(ConversationId conversationId, MessageContent content, CancellationToken cancellationToken)
    {
        // Earlier messages go first, and a pending commit must be settled before encrypting in its epoch.
        await FlushOutboxAsync(cancellationToken).ConfigureAwait(false);
        var conversation = _store.GetConversation(conversationId) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
        var (envelope, envelopeBytes, frankingAad) = Frank(content);
        LocalMessageId? local = null;
        using (var group = _store.LoadGroup(conversationId, _groupOptions))
        {
            if (!group.IsActive)
            {
                throw new ParleyClientException($"You are no longer a member of {conversation.DisplayName}.");
            }
            if (group.HasPendingCommit)
            {
                throw new ParleyClientException($"A change to {conversation.DisplayName} is still waiting for the server; try again when it is reachable.");
            }
            if (SuppressedInChannel(group, conversation, content))
            {
                return null;
            }
            byte[] message = group.EncryptApplicationMessage(envelopeBytes, frankingAad).ToBytes();
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.SaveGroupState(conversationId, group);
            ContentEffects.Apply(transaction, conversationId, envelope, envelopeBytes, DeviceId, Username, Username, sentByThisDevice: true);
            var stored = transaction.FindMessage(conversationId, envelope.MessageId);
            local = stored?.LocalId;
            transaction.AddToOutbox(conversationId, envelope.MessageId, OutboxKind.Application, message, null, local);
            transaction.Commit();
            if (stored is not null)
            {
                Raise(new MessageSent(_store.GetConversation(conversationId) ?? conversation, stored));
            }
        }
        await FlushOutboxAsync(cancellationToken).ConfigureAwait(false);
        return local;
    }
}
