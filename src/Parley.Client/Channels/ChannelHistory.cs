// Recent posts for new subscribers (docs/channels.md, "Recent posts for new subscribers"): right after an admin's
// device adds subscribers it sends the channel's latest posts, each as its original envelope, in one MLS
// application message (end-to-end encrypted like any post). Members who have a post already keep theirs.
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;

namespace Parley.Client.Channels;

/// <summary>Builds and applies <see cref="ChannelHistoryContent"/>.</summary>
internal static class ChannelHistory
{
    /// <summary>The most envelope bytes one history message carries: well under the server's message limit (1,280 KiB by default).
    /// The oldest posts are left out first.</summary>
    public const int MaxBytes = 128 * 1024;

    /// <summary>The content carrying the newest <paramref name="limit"/> posts of <paramref name="history"/> (oldest
    /// first; deleted posts and other messages left out), or null when there is none.</summary>
    public static ChannelHistoryContent? Build(IReadOnlyList<StoredMessage> history, int limit)
    {
        var posts = new List<HistoryPost>();
        int bytes = 0;
        foreach (var message in history.Reverse())
        {
            if (posts.Count == limit)
            {
                break;
            }
            if (message.Content is not (TextContent or ReplyContent or AttachmentContent) || message.State.Deleted
                || message.Record?.Envelope is not { } envelope || message.SenderUsername is not { } sender)
            {
                continue;
            }
            bytes += envelope.Length + sender.Length + message.SenderDeviceId.Length + (message.State.EditedText?.Length * 3 ?? 0) + 16;
            if (bytes > MaxBytes)
            {
                break;
            }
            posts.Add(new HistoryPost(sender, message.SenderDeviceId, envelope, message.State.EditedText));
        }
        posts.Reverse();
        return posts.Count == 0 ? null : new ChannelHistoryContent(posts);
    }

    /// <summary>On a device that has no messages in the channel yet (it was just added), adds the posts of
    /// <paramref name="history"/> in order; members who were there before keep their history as it is (older posts
    /// would land after newer ones). Only posts by the channel's admins and of the kinds a channel shows are taken; an
    /// unreadable one is skipped. Returns how many were added.</summary>
    public static int Apply(StoreTransaction transaction, ConversationId conversation, MlsGroup group, ChannelHistoryContent history, string ownUsername)
    {
        int added = 0;
        if (transaction.Store.CountMessages(conversation) > 0)
        {
            return 0;
        }
        foreach (var post in history.Posts)
        {
            if (ChannelRules.ChannelOf(group)?.IsAdmin(post.Sender) != true)
            {
                continue;
            }
            ContentEnvelope envelope;
            try
            {
                envelope = ContentEnvelope.Decode(post.Envelope);
            }
            catch (Exception e) when (e is EnvelopeFormatException or MlsDecodeException)
            {
                continue;
            }
            if (envelope.Content is not (TextContent or ReplyContent or AttachmentContent))
            {
                continue;
            }
            bool outgoing = post.Sender == ownUsername;
            if (transaction.AddMessage(new NewMessage(conversation, envelope, post.Envelope, post.SenderDevice, post.Sender, outgoing,
                    outgoing ? DeliveryStatus.Sent : DeliveryStatus.Received)) is not { } stored)
            {
                continue;
            }
            if (envelope.Content is AttachmentContent attachment)
            {
                transaction.AddAttachment(stored.LocalId, attachment.Attachment);
            }
            if (post.EditedText is { } edited)
            {
                transaction.UpdateMessage(stored, stored.State with { EditedText = edited, EditedAt = envelope.SentAt });
            }
            added++;
        }
        return added;
    }
}
