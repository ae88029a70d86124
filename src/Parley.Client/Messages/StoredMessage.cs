// A message in this device's history, decrypted.
using Parley.Client.Conversations;
using Parley.Content;

namespace Parley.Client.Messages;

/// <summary>A message's local id: its sequence number in this device's store (arrival order). Never sent anywhere.</summary>
public readonly record struct LocalMessageId(long Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Where an outgoing message stands.</summary>
public enum DeliveryStatus : byte
{
    /// <summary>An incoming message.</summary>
    Received = 0,

    /// <summary>Encrypted and in the outbox, not yet accepted by the server.</summary>
    Pending = 1,

    /// <summary>The server accepted it (it is on disk there for every recipient device).</summary>
    Sent = 2,

    /// <summary>The server refused it for good.</summary>
    Failed = 3,
}

/// <summary>One account's reaction to a message.</summary>
public sealed record MessageReaction(string Reactor, string Emoji, DateTimeOffset At);

/// <summary>What one recipient account reported about an outgoing message.</summary>
public sealed record MessageReceipt(string Recipient, DateTimeOffset? DeliveredAt, DateTimeOffset? ReadAt);

/// <summary>The changing part of a message: delivery, read state, edits, deletion, reactions and receipts.</summary>
/// <param name="Status">For outgoing messages, how far delivery got.</param>
/// <param name="Read">For incoming messages, whether the user has seen it.</param>
/// <param name="EditedText">The latest text from an edit by its sender.</param>
/// <param name="EditedAt">When that edit was sent.</param>
/// <param name="Deleted">Deleted for everyone: its content is gone from the store.</param>
/// <param name="Reactions">Current reactions, one per account and emoji.</param>
/// <param name="Receipts">Delivery and read receipts per recipient account.</param>
public sealed record MessageState(
    DeliveryStatus Status,
    bool Read,
    string? EditedText,
    DateTimeOffset? EditedAt,
    bool Deleted,
    IReadOnlyList<MessageReaction> Reactions,
    IReadOnlyList<MessageReceipt> Receipts)
{
    /// <summary>The state of a message just added.</summary>
    public static MessageState Initial(DeliveryStatus status) => new(status, status != DeliveryStatus.Received, null, null, false, [], []);
}

/// <summary>A decrypted message of the local history.</summary>
/// <param name="LocalId">The local sequence number.</param>
/// <param name="Conversation">The conversation it belongs to.</param>
/// <param name="MessageId">The sender-chosen id (what replies, edits, reactions and receipts refer to).</param>
/// <param name="SenderDeviceId">The device that sent it (authenticated by MLS).</param>
/// <param name="SenderUsername">The account of that device, if known.</param>
/// <param name="IsOutgoing">Sent by this account (from this device or another of its devices).</param>
/// <param name="SentAt">The sender's clock when sending.</param>
/// <param name="ReceivedAt">This device's clock when it stored the message.</param>
/// <param name="ExpiresAt">When it disappears, if the conversation had a timer.</param>
/// <param name="Content">What it says; null once deleted for everyone.</param>
/// <param name="FrankingKey">The one-time franking key the envelope carried (what a report reveals), if any.</param>
/// <param name="State">Edits, deletion, reactions, receipts and delivery status.</param>
public sealed record StoredMessage(
    LocalMessageId LocalId,
    ConversationId Conversation,
    string MessageId,
    string SenderDeviceId,
    string? SenderUsername,
    bool IsOutgoing,
    DateTimeOffset SentAt,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ExpiresAt,
    MessageContent? Content,
    byte[]? FrankingKey,
    MessageState State)
{
    // The stored cell this message was read from (with the raw envelope), for rewriting it.
    internal Storage.MessageRecord? Record { get; init; }

    /// <summary>The text to show: the edited text, else the text, reply text or attachment caption;
    /// null for deleted messages and content without text.</summary>
    public string? Text => State.Deleted ? null : State.EditedText ?? TextOf(Content);

    /// <summary>The text content of a message kind that has one.</summary>
    internal static string? TextOf(MessageContent? content) => content switch
    {
        TextContent c => c.Text,
        ReplyContent c => c.Text,
        AttachmentContent c => c.Caption,
        _ => null,
    };

    /// <summary>What local search indexes for this message.</summary>
    internal string? SearchableText => State.Deleted ? null : Content switch
    {
        AttachmentContent c => string.IsNullOrEmpty(Text) ? c.Attachment.FileName : Text + " " + c.Attachment.FileName,
        _ => Text,
    };
}
