// Blocking (docs/safety.md, "Blocking"): the accounts whose messages this device hides. The receive
// pipeline asks it before raising an event; the history and search ask it before showing a message.
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Sync;

namespace Parley.Client.Moderation;

/// <summary>This device's block list, read from the store once and replaced whole when it changes, kept in line with
/// the account's list on the server.</summary>
internal sealed class BlockList(DeviceContext device)
{
    // Copy-on-write: read by event handlers while a block or unblock replaces it.
    private volatile HashSet<string>? _blocked;

    /// <summary>The blocked accounts (do not change the set: replace it).</summary>
    public HashSet<string> Current => _blocked ??= device.Store.BlockedUsernames.ToHashSet(StringComparer.Ordinal);

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

    /// <summary>Blocks an account: the server stops delivering its 1:1 messages and invitations to this account
    /// (without telling it), and this device hides its messages everywhere.</summary>
    public async Task BlockAsync(string username, CancellationToken cancellationToken)
    {
        string name = BlockName(username);
        if (name == device.Username)
        {
            throw new ParleyClientException("You cannot block your own account.");
        }
        try
        {
            await device.Server.BlockAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Status == 404)
        {
            throw new ParleyClientException($"There is no account named {name} on {device.Server.Server}.", e);
        }
        await SetLocallyAsync(name, true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unblocks an account: its new messages are delivered and shown again.</summary>
    public async Task UnblockAsync(string username, CancellationToken cancellationToken)
    {
        string name = BlockName(username);
        try
        {
            await device.Server.UnblockAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Status == 404)
        {
            // Not blocked on the server (or no such account): only the local list changes.
        }
        await SetLocallyAsync(name, false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The accounts this account blocks, as the server keeps them; this device's list is brought in line
    /// (blocks made on the account's other devices).</summary>
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var onServer = await FetchAsync(cancellationToken).ConfigureAwait(false);
        return onServer.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>At the start of a sync: brings this device's block list in line with the account's (blocks made
    /// on its other devices) with one request. The block list must never stop messages from arriving, so when the
    /// server cannot answer the local list stays as it is until the next sync.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FetchAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerUnavailableException or ServerProblemException)
        {
            // Keep the local list; the mailbox request that follows reports a server that is really away.
        }
    }

    // GET /v1/blocks, saved as this device's list; returns it.
    private async Task<HashSet<string>> FetchAsync(CancellationToken cancellationToken)
    {
        var onServer = (await device.Server.GetBlocksAsync(cancellationToken).ConfigureAwait(false)).Select(BlockName).ToHashSet(StringComparer.Ordinal);
        var local = Current;
        if (!onServer.SetEquals(local))
        {
            using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (string name in onServer.Except(local))
            {
                transaction.SetBlocked(name, true);
            }
            foreach (string name in local.Except(onServer))
            {
                transaction.SetBlocked(name, false);
            }
            transaction.Commit();
            Replace(onServer);
        }
        return onServer;
    }

    private async Task SetLocallyAsync(string name, bool blocked, CancellationToken cancellationToken)
    {
        using (var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SetBlocked(name, blocked);
            transaction.Commit();
        }
        Set(name, blocked);
    }

    private static string BlockName(string username)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        return ParleyClient.CheckUsername(username);
    }
}
