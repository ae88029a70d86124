// Attachments (docs/client-envelope.md §1 "Content types", §3): a message carrying a file reference (blob id, key, digest) is
// added to the history, and the reference is kept for downloading it.
using Parley.Client.Sync;
using Parley.Content;

namespace Parley.Client.Attachments;

/// <summary>Adds a message with an attachment and keeps its reference.</summary>
internal sealed class AttachmentContentHandler : IContentHandler
{
    public bool Apply(ContentApplication application)
    {
        if (application.Envelope.Content is not AttachmentContent attachment)
        {
            return false;
        }
        if (application.Add() is { } carrier)
        {
            application.Transaction.AddAttachment(carrier.LocalId, attachment.Attachment);
        }
        return true;
    }
}
