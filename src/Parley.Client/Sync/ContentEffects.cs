// What an application message's envelope does to the local history (docs/client-envelope.md): new
// messages are added; edits, deletions, reactions and receipts change the message they name. Each kind of
// content has its handler, in the folder of its concern; a new content type gets a handler added below.
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;

namespace Parley.Client.Sync;

/// <summary>Applies one decrypted envelope inside a store transaction and reports what changed.</summary>
internal static class ContentEffects
{
    // One handler per concern, asked in order; the first that knows the content applies it. Content none knows
    // (a channel's shared posts are the channel's, applied by the message handler) changes nothing here.
    private static readonly IContentHandler[] Handlers =
    [
        new MessageContentHandler(),
        new ReactionsAndReceipts(),
        new AttachmentContentHandler(),
        new ConversationContentHandler(),
    ];

    /// <summary>Applies <paramref name="envelope"/> from <paramref name="senderUsername"/>'s device
    /// <paramref name="senderDeviceId"/>. Returns the events to raise once the transaction commits.</summary>
    public static List<ClientEvent> Apply(StoreTransaction transaction, ConversationId conversationId, ContentEnvelope envelope, byte[] envelopeBytes,
        string senderDeviceId, string senderUsername, string ownUsername, bool sentByThisDevice)
    {
        var application = new ContentApplication(transaction, conversationId, envelope, envelopeBytes, senderDeviceId, senderUsername, ownUsername,
            sentByThisDevice);
        foreach (var handler in Handlers)
        {
            if (handler.Apply(application))
            {
                break;
            }
        }
        return application.Events;
    }

    /// <summary>The display name of a 1:1 chat: the other account's name.</summary>
    public static string DirectName(Conversation conversation, string ownUsername)
        => conversation.Members.Select(m => m.Username).FirstOrDefault(u => u != ownUsername) ?? ownUsername;
}
