// Blocking (docs/safety.md, "Blocking"): the accounts whose messages this device hides. The receive
// pipeline asks it before raising an event; the history and search ask it before showing a message.
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Client.Sync;

namespace Parley.Client.Moderation;

/// <summary>This device's block list, read from the store once and replaced whole when it changes.</summary>
internal sealed class BlockList(ClientStore store)
{
    // Copy-on-write: read by event handlers while a block or unblock replaces it.
    private volatile HashSet<string>? _blocked;

    /// <summary>The blocked accounts (do not change the set: replace it).</summary>
    public HashSet<string> Current => _blocked ??= store.BlockedUsernames.ToHashSet(StringComparer.Ordinal);

    public bool Contains(string? username) => username is not null && Current.Contains(username);

    /// <summary>Replaces the list (after the store saved it).</summary>
    public void Replace(HashSet<string> blocked) => _blocked = blocked;

    /// <summary>Adds or removes one account (after the store saved it).</summary>
    public void Set(string username, bool blocked)
    {
        var updated = new HashSet<string>(Current, StringComparer.Ordinal);
        if (blocked)
        {
            updated.Add(username);
        }
        else
        {
            updated.Remove(username);
        }
        _blocked = updated;
    }

    /// <summary>The messages to show: all but those from blocked accounts.</summary>
    public IReadOnlyList<StoredMessage> Without(IReadOnlyList<StoredMessage> messages)
    {
        var blocked = Current;
        return blocked.Count == 0 ? messages : messages.Where(m => m.IsOutgoing || m.SenderUsername is null || !blocked.Contains(m.SenderUsername)).ToList();
    }

    /// <summary>False for an event about a blocked account's message (it is not raised or reported).</summary>
    public bool Shown(ClientEvent e) => e switch
    {
        MessageReceived { Message: { IsOutgoing: false } m } => !Contains(m.SenderUsername),
        MessageUpdated { Message: { IsOutgoing: false } m } => !Contains(m.SenderUsername),
        _ => true,
    };
}
