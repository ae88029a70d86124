// The kinds of content a Parley envelope carries (docs/client-envelope.md).

namespace Parley.Content;

/// <summary>The content_type code of an envelope.</summary>
public enum ContentKind : ushort
{
    Text = 1,
    Reply = 2,
    Edit = 3,
    Delete = 4,
    Reaction = 5,
    DeliveryReceipt = 6,
    ReadReceipt = 7,
    Attachment = 8,
    DisappearingTimer = 9,
    ConversationInfo = 10,
    ChannelHistory = 11,
}

/// <summary>What a message says. Kinds that change other messages (edit, delete, reaction, receipts)
/// name their target by its sender-chosen message id.</summary>
public abstract record MessageContent
{
    private protected MessageContent() { }

    /// <summary>The envelope content_type of this content (for <see cref="UnsupportedContent"/>, the code received).</summary>
    public abstract ContentKind Kind { get; }
}

/// <summary>A channel's recent posts, which an admin's device sends right after adding subscribers so that they do not
/// start with an empty channel. Each post is its original envelope, so its id, time and content are the sender's own.</summary>
public sealed record ChannelHistoryContent(IReadOnlyList<HistoryPost> Posts) : MessageContent
{
    public override ContentKind Kind => ContentKind.ChannelHistory;
}

/// <summary>One post in a <see cref="ChannelHistoryContent"/>.</summary>
/// <param name="Sender">The admin who posted it.</param>
/// <param name="SenderDevice">The device it came from.</param>
/// <param name="Envelope">Its envelope as that device sent it.</param>
/// <param name="EditedText">Its text after the last edit, if it was edited.</param>
public sealed record HistoryPost(string Sender, string SenderDevice, byte[] Envelope, string? EditedText);

/// <summary>Plain text.</summary>
public sealed record TextContent(string Text) : MessageContent
{
    public override ContentKind Kind => ContentKind.Text;
}

/// <summary>Text in reply to an earlier message.</summary>
public sealed record ReplyContent(string InReplyTo, string Text) : MessageContent
{
    public override ContentKind Kind => ContentKind.Reply;
}

/// <summary>New text for one of the sender's own earlier messages.</summary>
public sealed record EditContent(string Target, string Text) : MessageContent
{
    public override ContentKind Kind => ContentKind.Edit;
}

/// <summary>Delete one of the sender's own messages for everyone.</summary>
public sealed record DeleteContent(string Target) : MessageContent
{
    public override ContentKind Kind => ContentKind.Delete;
}

/// <summary>Add or remove an emoji reaction to a message.</summary>
public sealed record ReactionContent(string Target, string Emoji, bool Remove = false) : MessageContent
{
    public override ContentKind Kind => ContentKind.Reaction;
}

/// <summary>The sender's device received the messages listed.</summary>
public sealed record DeliveryReceiptContent(IReadOnlyList<string> Targets) : MessageContent
{
    public override ContentKind Kind => ContentKind.DeliveryReceipt;
}

/// <summary>The sender read the messages listed.</summary>
public sealed record ReadReceiptContent(IReadOnlyList<string> Targets) : MessageContent
{
    public override ContentKind Kind => ContentKind.ReadReceipt;
}

/// <summary>An encrypted file, with an optional caption.</summary>
public sealed record AttachmentContent(AttachmentReference Attachment, string Caption = "") : MessageContent
{
    public override ContentKind Kind => ContentKind.Attachment;
}

/// <summary>The conversation's disappearing-message timer changes (null turns it off).</summary>
public sealed record DisappearingTimerContent(TimeSpan? Timer) : MessageContent
{
    public override ContentKind Kind => ContentKind.DisappearingTimer;
}

/// <summary>The conversation's kind and title, sent by its creator after the Welcome (and on rename).</summary>
public sealed record ConversationInfoContent(ConversationKind ConversationKind, string Title) : MessageContent
{
    public override ContentKind Kind => ContentKind.ConversationInfo;
}

/// <summary>Content this version of Parley cannot show: a newer envelope version, an unknown kind, or
/// a malformed body. Shown as "unsupported message"; the original bytes stay in the store.</summary>
/// <param name="Version">The envelope version received.</param>
/// <param name="ContentType">The content_type code received (0 if unreadable).</param>
/// <param name="Reason">Why it is unsupported, for logs.</param>
public sealed record UnsupportedContent(ushort Version, ushort ContentType, string Reason) : MessageContent
{
    public override ContentKind Kind => (ContentKind)ContentType;
}
