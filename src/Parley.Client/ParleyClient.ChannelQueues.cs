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

    // While the device listens: a delivery WebSocket per subscriber queue, by SHA-256 of the queue's token (hex), each on the
    // queue's own connection with the queue's credential, so the server pushes a channel's posts without the device's
    // socket ever carrying a queue (docs/privacy.md). Null while nothing listens.
    private Dictionary<string, QueueSocket>? _queueSockets;
    private CancellationToken _queueListening;

    private sealed class QueueSocket(CancellationTokenSource stop)
    {
        private volatile bool _open;

        public CancellationTokenSource Stop { get; } = stop;

        public Task Running { get; set; } = Task.CompletedTask;

        public bool Open
        {
            get => _open;
            set => _open = value;
        }
    }

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
    /// requests still waiting for their Welcome), as the device's own mailbox is; while the device listens, also opens a
    /// delivery WebSocket for each queue that has none and closes those of queues gone. Call with the device lock held.</summary>
    private async Task ReceiveQueuesAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        var tokens = QueueTokens();
        ListenToQueues(tokens);
        foreach (byte[] token in tokens)
        {
            await _pipeline.ReceiveFromAsync(QueueClient(token), events, cancellationToken).ConfigureAwait(false);
        }
    }

    // The tokens of the queues this device reads: channels joined anonymously, and join requests waiting for their Welcome.
    private List<byte[]> QueueTokens()
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
        return tokens;
    }

    private static string QueueKey(byte[] token) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(token));

    /// <summary>True while every subscriber queue's delivery WebSocket is open (or there is no queue): what arrives in them is
    /// pushed, so fetching them over HTTP would only spend requests.</summary>
    private bool QueuesPushed
    {
        get
        {
            if (Volatile.Read(ref _queueSockets) is not { } sockets)
            {
                return false;
            }
            lock (sockets)
            {
                return sockets.Values.All(s => s.Open);
            }
        }
    }

    /// <summary>While the device listens, makes the queue sockets match <paramref name="tokens"/>: a new queue (a join request
    /// sent, a channel joined) gets its socket, a queue gone (left, denied) loses it. Call with the device lock held.</summary>
    private void ListenToQueues(List<byte[]> tokens)
    {
        if (Volatile.Read(ref _queueSockets) is not { } sockets || _queueListening.IsCancellationRequested)
        {
            return;
        }
        var wanted = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (byte[] token in tokens)
        {
            wanted[QueueKey(token)] = token;
        }
        lock (sockets)
        {
            foreach (string gone in sockets.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
            {
                var entry = sockets[gone];
                sockets.Remove(gone);
                entry.Stop.Cancel();
                _ = entry.Running.ContinueWith(_ => entry.Stop.Dispose(), TaskScheduler.Default);
            }
            foreach (var (key, token) in wanted)
            {
                if (!sockets.ContainsKey(key))
                {
                    var entry = new QueueSocket(CancellationTokenSource.CreateLinkedTokenSource(_queueListening));
                    var socket = new DeliverySocket(QueueClient(token));
                    socket.ConnectionChanged += open => entry.Open = open;
                    var stop = entry.Stop.Token;
                    entry.Running = Task.Run(() => RunQueueSocketAsync(socket, stop));
                    sockets[key] = entry;
                }
            }
        }
    }

    // One queue's deliveries as they arrive, through the same pipeline and lock as the device's own; acknowledged on the
    // queue's socket once stored.
    private async Task RunQueueSocketAsync(DeliverySocket socket, CancellationToken cancellationToken)
    {
        try
        {
            await socket.RunAsync(async (entry, ct) =>
            {
                using (await LockAsync(ct).ConfigureAwait(false))
                {
                    bool done = await _pipeline.HandleAsync(entry, null, ct).ConfigureAwait(false);
                    if (done)
                    {
                        await AfterReceiveAsync(null, ct, light: true).ConfigureAwait(false);
                    }
                    return done;
                }
            }, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Stopped, refused, or a delivery that failed: the socket is not open, so the listener's tick reads the queue
            // over HTTP again (a queue's failure must not end the device's listening).
        }
    }

    /// <summary>Starts keeping a socket per subscriber queue until <paramref name="listening"/> is cancelled (the listener).</summary>
    private void StartQueueSockets(CancellationToken listening)
    {
        _queueListening = listening;
        Volatile.Write(ref _queueSockets, new Dictionary<string, QueueSocket>(StringComparer.Ordinal));
    }

    /// <summary>Stops every queue socket and waits for them to end.</summary>
    private async Task StopQueueSocketsAsync()
    {
        if (Interlocked.Exchange(ref _queueSockets, null) is not { } sockets)
        {
            return;
        }
        List<QueueSocket> all;
        lock (sockets)
        {
            all = [.. sockets.Values];
            sockets.Clear();
        }
        foreach (var socket in all)
        {
            await socket.Stop.CancelAsync().ConfigureAwait(false);
            await socket.Running.ConfigureAwait(false);
            socket.Stop.Dispose();
        }
    }

    /// <summary>Does at once, for a screen that shows channels, what the listener's periodic tick does for them: reads the
    /// subscriber queues whose sockets are not open (posts of channels joined anonymously, the Welcome of an approved join
    /// request), and for <paramref name="channel"/>, when this device administers it, adds the join requests that need no
    /// approval and announces the others (<see cref="JoinRequested"/>). The device lock is held only while there is
    /// something to handle, so a screen may call this every few seconds without holding up the person's own actions.</summary>
    public async Task RefreshChannelsAsync(PrivateChannel? channel = null, CancellationToken cancellationToken = default)
    {
        if (!QueuesPushed)
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
            }
        }
        if (channel is null || _store.GetPrivateChannel(channel.Conversation) is not { Pseudonymous: false } known)
        {
            return;
        }
        var administered = Refresh(channel);
        if (!administered.IsAdmin || !administered.IsActive)
        {
            return;
        }
        IReadOnlyList<string> announced = known.AnnouncedRequests ?? [];
        // Asked without the lock; handled under it only when something changed since the last announcement.
        var requests = await _server.ListJoinRequestsAsync(administered.GroupId, cancellationToken).ConfigureAwait(false);
        if (requests.All(r => r.Approval) && requests.Select(r => r.RequestId).SequenceEqual(announced))
        {
            return;
        }
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_store.GetConversation(administered.Conversation) is { } conversation && _store.GetPrivateChannel(conversation.Id) is { } record)
            {
                await HandleJoinRequestsAsync(conversation, Refresh(administered), record, requests, null, cancellationToken).ConfigureAwait(false);
            }
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
