// Delivery receipts (docs/client-envelope.md, "Receipts"): what this device received and showed waits here
// until the next receipt batch, one receipt message per conversation.
using Parley.Client.Conversations;

namespace Parley.Client.Messages;

/// <summary>The received messages not yet acknowledged with a delivery receipt, by conversation.</summary>
internal sealed class ReceiptQueue
{
    private readonly Dictionary<ConversationId, List<string>> _waiting = [];

    /// <summary>True when some message waits for its receipt.</summary>
    public bool Any => _waiting.Count > 0;

    public void Add(ConversationId conversation, string messageId)
        => (_waiting.TryGetValue(conversation, out var list) ? list : _waiting[conversation] = []).Add(messageId);

    /// <summary>Takes everything waiting, conversation by conversation.</summary>
    public List<(ConversationId Conversation, List<string> MessageIds)> TakeAll()
    {
        var all = _waiting.Select(p => (p.Key, p.Value)).ToList();
        _waiting.Clear();
        return all;
    }
}
