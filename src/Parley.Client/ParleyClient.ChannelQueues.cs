// Private channels (docs/channels.md, "Subscriber queues"): a subscriber's device speaks in a channel it joined
// anonymously through a queue of its own, so the server never links the subscriber to the device; and a member
// joining by external commit is checked (an admin's device then shares the recent posts).
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    // Connections of this device's subscriber queues, by SHA-256 of their token (hex).
    private readonly Dictionary<string, ParleyServerClient> _queues = new(StringComparer.Ordinal);

    // Channels this device administers in which a subscriber joined by external commit: they get the recent posts after the sync.
    private readonly HashSet<ConversationId> _historyDue = [];

    // ---- Subscriber queues --------------------------------------------------------------------

    /// <summary>The connection that speaks as the subscriber queue <paramref name="token"/> opens.</summary>
    private ParleyServerClient QueueClient(byte[] token)
    {
        string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(token));
        lock (_queues)
        {
            if (!_queues.TryGetValue(key, out var client))
            {
                client = ParleyServerClient.ForQueue(Server, token, _options.HttpHandler);
                _queues[key] = client;
            }
            return client;
        }
    }

    /// <summary>The connection that speaks for this device in <paramref name="conversation"/>: the subscriber queue of a channel
    /// it joined anonymously (so the server never sees the device act in it), else the device itself.</summary>
    private ParleyServerClient ServerFor(ConversationId conversation)
        => _store.GetPrivateChannel(conversation) is { ActiveQueueToken: { } token } ? QueueClient(token) : _server;

    /// <summary>Fetches and handles what waits in this device's subscriber queues (channels it joined anonymously, and join
    /// requests still waiting for their Welcome), as the device's own mailbox is. Call with the device lock held.</summary>
    private async Task ReceiveQueuesAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        var tokens = new List<byte[]>();
        foreach (var record in _store.GetChannelRecords())
        {
            switch (record)
            {
                case PrivateChannelRecord { ActiveQueueToken: { } token }:
                    tokens.Add(token);
                    break;
                case PendingChannelJoin join:
                    using (join)
                    {
                        if (join.QueueToken is { } joinToken && join.RequestId is not null)
                        {
                            tokens.Add(joinToken.ToArray());
                        }
                    }
                    break;
            }
        }
        foreach (byte[] token in tokens)
        {
            await _pipeline.ReceiveFromAsync(QueueClient(token), events, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Does at once what the listener's periodic tick does for channels: fetches and handles what waits in this
    /// device's subscriber queues (posts of channels joined anonymously, the Welcome of a join request an admin approved),
    /// and on admin devices adds the join requests that need no approval and announces the others
    /// (<see cref="JoinRequested"/>). For a screen that shows channels and should not wait for the tick; the queues are
    /// fetched each through its own connection, as always, never through the device's.</summary>
    public async Task RefreshChannelsAsync(CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await ReceiveQueuesAsync(null, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _pipeline.AnnounceJoin(null);
            }
            await AfterChannelSyncAsync(null, cancellationToken).ConfigureAwait(false);
        }
    }

    private void DisposeQueues()
    {
        lock (_queues)
        {
            foreach (var client in _queues.Values)
            {
                client.Dispose();
            }
            _queues.Clear();
        }
    }

    /// <summary>After an external commit to a group was processed: in a channel this device administers, the subscriber who
    /// joined gets the recent posts after the sync (<see cref="AfterChannelSyncAsync"/>), and a joining leaf that fails
    /// verification is reported.</summary>
    private async Task<string?> NoteExternalJoinAsync(ConversationId conversation, MlsGroup group, IReadOnlyList<RosterLeaf> leavesBefore,
        CancellationToken cancellationToken)
    {
        if (!ChannelRules.IsChannel(group))
        {
            return null;
        }
        var known = leavesBefore.Select(l => (l.Leaf, Convert.ToHexString(l.Node.SignatureKey))).ToHashSet();
        foreach (var leaf in GroupRoster.Leaves(group).Where(l => !known.Contains((l.Leaf, Convert.ToHexString(l.Node.SignatureKey)))))
        {
            if (await _leaves.VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                return problem;
            }
        }
        if (ChannelRules.IsAdmin(group, Username))
        {
            _historyDue.Add(conversation);
        }
        return null;
    }
}
