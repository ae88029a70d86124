// A conversation's settings as members change them (docs/client-envelope.md §2, "Applying envelopes"): the disappearing timer,
// and the kind and title the adder announces (a rename of a group shows in the history).
using Parley.Client.Sync;
using Parley.Content;

namespace Parley.Client.Conversations;

/// <summary>Applies disappearing-timer changes and conversation info.</summary>
internal sealed class ConversationContentHandler : IContentHandler
{
    public bool Apply(ContentApplication application)
    {
        var conversation = application.Conversation;
        switch (application.Envelope.Content)
        {
            case DisappearingTimerContent timer:
                if (conversation.DisappearingTimer != timer.Timer)
                {
                    application.Transaction.SaveConversation(conversation with { DisappearingTimer = timer.Timer });
                    application.Add();
                    application.Events.Add(new ConversationUpdated(application.Current,
                        timer.Timer is { } t ? $"disappearing messages after {Durations.Format(t)}" : "disappearing messages off", application.SenderUsername));
                }
                return true;
            case ConversationInfoContent info:
            {
                string display = info.ConversationKind == ConversationKind.Direct
                    ? ContentEffects.DirectName(conversation, application.OwnUsername)
                    : info.Title.Length > 0 ? info.Title : conversation.DisplayName;
                // A rename shows in the history; the announcement a new member gets right after joining does not.
                bool renamed = info.ConversationKind == ConversationKind.Group && display != conversation.DisplayName
                               && application.Transaction.Store.CountMessages(application.ConversationId) > 0;
                if (info.ConversationKind != conversation.Kind || display != conversation.DisplayName)
                {
                    application.Transaction.SaveConversation(conversation with { Kind = info.ConversationKind, DisplayName = display });
                    if (renamed)
                    {
                        application.Add();
                        application.Events.Add(new ConversationUpdated(application.Current, $"named the group {display}", application.SenderUsername));
                    }
                }
                return true;
            }
            default:
                return false;
        }
    }
}
