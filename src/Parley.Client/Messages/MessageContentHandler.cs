// Messages (docs/client-envelope.md §2, "Applying envelopes"): texts, replies and content of a newer version are added to the
// history; only a message's own account may edit or delete it for everyone.
using Parley.Client.Sync;
using Parley.Content;

namespace Parley.Client.Messages;

/// <summary>Adds texts and replies; applies edits and deletions for everyone.</summary>
internal sealed class MessageContentHandler : IContentHandler
{
    public bool Apply(ContentApplication application)
    {
        string sender = application.SenderUsername;
        switch (application.Envelope.Content)
        {
            case TextContent or ReplyContent or UnsupportedContent:
                application.Add();
                return true;
            case EditContent edit:
                // Only the sender may edit or delete its own messages.
                application.Update(edit.Target, m => m.SenderUsername == sender && !m.State.Deleted
                    ? m.State with { EditedText = edit.Text, EditedAt = application.Envelope.SentAt }
                    : null, "edited");
                return true;
            case DeleteContent delete:
                application.Update(delete.Target, m => m.SenderUsername == sender && !m.State.Deleted ? m.State with { Deleted = true } : null, "deleted");
                return true;
            default:
                return false;
        }
    }
}
