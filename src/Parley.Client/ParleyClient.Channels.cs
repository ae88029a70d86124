// Private channels (docs/channels.md): an MLS group whose GroupContext carries the 0xF0C1 "parley_channel"
// extension naming the channel and its admins. Admins are accounts (every device of each is a leaf with its
// normal credential); subscribers join through an invite link with a fresh pseudonymous leaf per channel,
// so members see admins by name and subscribers only as "anon:" pseudonyms. Only admins' devices post; every
// member's client drops anything else, and the server refuses what it can tell. A subscriber's leaf receives and sends
// through an anonymous queue of its own (a random credential, no device or account), so the server cannot tell which
// device is behind it; an invite without approval is joined at once by external commit, with no admin online.
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
    // Groups seen to be channels while processing deliveries whose conversation may have no record yet
    // (an admin added by another admin joins through an ordinary Welcome).
    private readonly HashSet<string> _channelGroupsSeen = new(StringComparer.Ordinal);

    /// <summary>The most join requests one commit adds.</summary>
    private const int MaxAddsPerCommit = 50;

    /// <summary>How long a pseudonymous join key package stays valid.</summary>
    private static readonly TimeSpan JoinKeyPackageLifetime = TimeSpan.FromDays(30);

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
            await ReceiveFromAsync(QueueClient(token), events, cancellationToken).ConfigureAwait(false);
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
            if (await VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
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

    // ---- Finding channels ---------------------------------------------------------------------

    /// <summary>Every private channel this device is in (or was removed from), by name.</summary>
    public IReadOnlyList<PrivateChannel> ListChannels()
    {
        var result = new List<PrivateChannel>();
        foreach (var conversation in _store.Conversations)
        {
            if (DescribeChannel(conversation) is { } channel)
            {
                result.Add(channel);
            }
        }
        return result.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The private channel named <paramref name="name"/> (or whose conversation id starts with it), or null.</summary>
    public PrivateChannel? FindChannel(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string text = name.Trim();
        var all = ListChannels();
        var byName = all.Where(c => string.Equals(c.Name, text, StringComparison.OrdinalIgnoreCase)).ToList();
        if (byName.Count > 1)
        {
            byName = byName.Where(c => c.IsActive).ToList();
        }
        if (byName.Count > 1)
        {
            throw new ParleyClientException(ClientError.ChannelNameAmbiguous, text, $"Several channels are named {text}; use the channel's id.");
        }
        if (byName.Count == 1)
        {
            return byName[0];
        }
        var byId = Conversation.IsIdPrefix(text)
            ? all.Where(c => Conversation.SharedIdOf(c.GroupId).StartsWith(text.ToLowerInvariant(), StringComparison.Ordinal)).ToList()
            : [];
        return byId.Count == 1 ? byId[0] : null;
    }

    /// <summary>Like <see cref="FindChannel"/>, but throws a sentence when nothing matches.</summary>
    public PrivateChannel GetChannel(string name)
        => FindChannel(name) ?? throw new ParleyClientException(ClientError.ChannelNotFound, name, $"You are in no private channel named {name}.");

    /// <summary>The channel a conversation is, or null for chats and groups. Registers channels this device joined
    /// through an ordinary Welcome.</summary>
    private PrivateChannel? DescribeChannel(Conversation conversation)
    {
        using var group = _store.LoadGroup(conversation.Id, _groupOptions);
        if (ChannelRules.ChannelOf(group) is not { } channel)
        {
            return null;
        }
        bool subscriber = ChannelRules.IsSubscriber(group);
        if (_store.GetPrivateChannel(conversation.Id) is null)
        {
            using var transaction = _store.BeginTransaction();
            transaction.SaveChannelRecord(new PrivateChannelRecord(conversation.Id, channel.Name, subscriber, ViewToken.NewKey(), 0));
            transaction.Commit();
        }
        return new PrivateChannel(conversation.Id, conversation.GroupId, channel.Name, channel.Admins, ChannelRules.IsAdmin(group, Username), subscriber,
            group.IsActive);
    }

    private PrivateChannel Refresh(PrivateChannel channel)
        => _store.GetConversation(channel.Conversation) is { } conversation && DescribeChannel(conversation) is { } fresh
            ? fresh
            : throw new ParleyClientException($"The channel {channel.Name} no longer exists on this device.");

    private static void RequireAdmin(PrivateChannel channel, string action = "do that")
    {
        if (!channel.IsActive)
        {
            throw new ParleyClientException($"You are no longer a member of the channel {channel.Name}.");
        }
        if (!channel.IsAdmin)
        {
            throw new ParleyClientException($"Only the admins of {channel.Name} ({string.Join(", ", channel.Admins)}) can {action}; you are a subscriber.");
        }
    }

    // ---- Creating and posting -----------------------------------------------------------------

    /// <summary>Creates a private channel named <paramref name="name"/> with this account as its only admin (and this
    /// account's other devices as admin devices), and registers it with the server.</summary>
    public async Task<PrivateChannel> CreateChannelAsync(string name, CancellationToken cancellationToken = default)
        => await CreateChannelAsync(name, PrivateChannelRecord.DefaultHistoryLimit, cancellationToken).ConfigureAwait(false);

    /// <summary>As <see cref="CreateChannelAsync(string, CancellationToken)"/>; this device sends each subscriber it adds
    /// the channel's <paramref name="historyLimit"/> most recent posts (0: none).</summary>
    public async Task<PrivateChannel> CreateChannelAsync(string name, int historyLimit, CancellationToken cancellationToken = default)
    {
        name = CheckChannelName(name);
        CheckHistoryLimit(historyLimit);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            if (ListChannels().Any(c => c.IsActive && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ParleyClientException($"You are already in a channel named {name}; choose another name.");
            }
            var own = await ClaimVerifiedAsync(Username, cancellationToken).ConfigureAwait(false);
            byte[] groupId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
            var extension = new ChannelExtension(name, [Username]);
            ConversationId id;
            using (var group = MlsGroup.Create(_leaf.Suite, groupId, _leaf.Credential, _leaf.SignatureKey, [extension.ToExtension()], _groupOptions,
                       _leaf.Capabilities, _leaf.LeafExtensions))
            {
                await _server.CreateGroupAsync(groupId, group.Suite.Id, GenesisGroupInfo(group), cancellationToken).ConfigureAwait(false);
                await _server.RegisterChannelAsync(groupId, cancellationToken).ConfigureAwait(false);
                var now = Now;
                var conversation = new Conversation(ConversationId.New(), ConversationKind.Group, name, groupId, null, GroupRoster.Members(group), now, now, 0);
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveConversation(conversation);
                transaction.SaveGroupState(conversation.Id, group);
                transaction.SaveChannelRecord(new PrivateChannelRecord(conversation.Id, name, false, ViewToken.NewKey(), 0, historyLimit));
                transaction.Commit();
                id = conversation.Id;
            }
            await AddAdminDevicesAsync(id, own, null, cancellationToken).ConfigureAwait(false);
            ulong epoch;
            using (var created = _store.LoadGroup(id, _groupOptions))
            {
                epoch = created.Epoch;
            }
            if (epoch == 0)
            {
                // No other device of this account was added: one empty commit leaves the channel's joinable GroupInfo on the
                // server, so people with an invite without approval can join before this device is next online.
                await CommitAsync(id, _ => new CommitPlan([], [], Refresh: true), cancellationToken).ConfigureAwait(false);
            }
            return DescribeChannel(_store.GetConversation(id)!)!;
        }
    }

    /// <summary>How many recent posts this device sends each subscriber it adds to <paramref name="channel"/> (admins).</summary>
    public int GetChannelHistoryLimit(PrivateChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return _store.GetPrivateChannel(channel.Conversation)?.HistoryLimit ?? PrivateChannelRecord.DefaultHistoryLimit;
    }

    /// <summary>Sets how many recent posts this device sends each subscriber it adds to <paramref name="channel"/>
    /// (admins; 0 sends none). Each admin device keeps its own setting.</summary>
    public async Task SetChannelHistoryLimitAsync(PrivateChannel channel, int historyLimit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        CheckHistoryLimit(historyLimit);
        channel = Refresh(channel);
        RequireAdmin(channel, "choose what new subscribers see");
        using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var record = _store.GetPrivateChannel(channel.Conversation) ?? new PrivateChannelRecord(channel.Conversation, channel.Name, false, ViewToken.NewKey(), 0);
        transaction.SaveChannelRecord(record with { HistoryLimit = historyLimit });
        transaction.Commit();
    }

    private static void CheckHistoryLimit(int historyLimit)
    {
        if (historyLimit is < 0 or > PrivateChannelRecord.MaxHistoryLimit)
        {
            throw new ParleyClientException($"A channel shares 0 to {PrivateChannelRecord.MaxHistoryLimit} recent posts with new subscribers.");
        }
    }

    /// <summary>Posts <paramref name="text"/> to a channel (admins only): one MLS application message for all members.</summary>
    public async Task<StoredMessage> PostAsync(PrivateChannel channel, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrEmpty(text);
        RequireAdmin(Refresh(channel), "post to it");
        return await SendShownAsync(channel.Conversation, new TextContent(text), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the text of one of this account's posts, for every member.</summary>
    public Task EditPostAsync(PrivateChannel channel, string postId, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrEmpty(text);
        RequireAdmin(Refresh(channel), "edit posts");
        return EditAsync(channel.Conversation, postId, text, cancellationToken);
    }

    /// <summary>Deletes one of this account's posts for every member.</summary>
    public Task DeletePostAsync(PrivateChannel channel, string postId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        RequireAdmin(Refresh(channel), "delete posts");
        return DeleteForEveryoneAsync(channel.Conversation, postId, cancellationToken);
    }

    /// <summary>Syncs, then returns the channel's latest posts (oldest first, edits and deletions applied) with their
    /// view counts. Counts one view, anonymously, for each post this device shows for the first time.</summary>
    public async Task<IReadOnlyList<ChannelPost>> ReadChannelAsync(PrivateChannel channel, int limit = 50, bool countViews = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        try
        {
            await SyncAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ServerUnavailableException)
        {
            // Offline: show what this device has.
        }
        channel = Refresh(channel);
        var posts = History(channel.Conversation, limit).Where(m => m.Content is TextContent or ReplyContent or AttachmentContent || m.State.Deleted).ToList();
        var record = _store.GetPrivateChannel(channel.Conversation);
        bool online = true;
        if (countViews && channel.IsActive && record is not null)
        {
            long through = record.ViewedThrough;
            foreach (var post in posts.Where(p => !p.IsOutgoing && !p.State.Deleted && p.LocalId.Value > record.ViewedThrough))
            {
                try
                {
                    await ServerFor(channel.Conversation).SendViewAsync(channel.GroupId, post.MessageId, ViewToken.Compute(record.ViewKey, post.MessageId),
                            cancellationToken)
                        .ConfigureAwait(false);
                    through = Math.Max(through, post.LocalId.Value);
                }
                catch (ServerUnavailableException)
                {
                    online = false;
                    break;
                }
                catch (ServerProblemException)
                {
                    // E.g. the post is too old for the server to count: skip it.
                    through = Math.Max(through, post.LocalId.Value);
                }
            }
            if (through != record.ViewedThrough)
            {
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveChannelRecord(record with { ViewedThrough = through });
                transaction.Commit();
            }
        }
        if (_store.GetConversation(channel.Conversation) is { UnreadCount: > 0 })
        {
            // Read here, without read receipts: a channel sends none.
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.MarkConversationRead(channel.Conversation);
            transaction.Commit();
        }
        var result = new List<ChannelPost>();
        foreach (var post in posts)
        {
            long? views = null;
            if (online && channel.IsActive && !post.State.Deleted)
            {
                try
                {
                    views = await ServerFor(channel.Conversation).GetViewsAsync(channel.GroupId, post.MessageId, cancellationToken).ConfigureAwait(false);
                }
                catch (ServerUnavailableException)
                {
                    online = false;
                }
                catch (ServerProblemException)
                {
                    // Not counted on the server: show no count.
                }
            }
            result.Add(new ChannelPost(post, views));
        }
        return result;
    }

    /// <summary>The channel's admins and subscriber count (from the server, and from this device's copy of the group).</summary>
    public async Task<PrivateChannelSummary> GetChannelSummaryAsync(PrivateChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        channel = Refresh(channel);
        int local;
        using (var group = _store.LoadGroup(channel.Conversation, _groupOptions))
        {
            var extension = ChannelRules.ChannelOf(group);
            local = GroupRoster.Leaves(group).Count(l => extension is null || !extension.IsAdmin(l.Username));
        }
        int? counted = null;
        if (channel.IsActive)
        {
            try
            {
                counted = (await ServerFor(channel.Conversation).GetChannelAsync(channel.GroupId, cancellationToken).ConfigureAwait(false)).Subscribers;
            }
            catch (Exception e) when (e is ServerUnavailableException or ServerProblemException)
            {
                // Show the local count only.
            }
        }
        return new PrivateChannelSummary(channel, counted, local);
    }

    // ---- Invites and joining ------------------------------------------------------------------

    /// <summary>Creates an invite link (admins): it works until <paramref name="expiresIn"/> passes (never, when null) or it
    /// is revoked; with <paramref name="approval"/>, an admin must approve each request.</summary>
    public async Task<ChannelInvite> CreateInviteAsync(PrivateChannel channel, TimeSpan? expiresIn = null, bool approval = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        RequireAdmin(Refresh(channel));
        if (expiresIn is { } e && (e < TimeSpan.FromMinutes(1) || e > TimeSpan.FromDays(366)))
        {
            throw new ParleyClientException("An invite expires between one minute and a year from now.");
        }
        DateTimeOffset? expiresAt = expiresIn is { } span ? Now + span : null;
        var created = await _server.CreateInviteAsync(channel.GroupId, new CreateInviteRequest(expiresAt, approval), cancellationToken).ConfigureAwait(false);
        return new ChannelInvite(created.InviteId, new InviteLink(Server, created.Token), created.ExpiresAt ?? expiresAt, approval);
    }

    /// <summary>The channel's invites (admins).</summary>
    public async Task<IReadOnlyList<InviteEntry>> ListInvitesAsync(PrivateChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        RequireAdmin(Refresh(channel));
        return await _server.ListInvitesAsync(channel.GroupId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes an invite (admins): its link stops working; members who joined with it stay.</summary>
    public async Task RevokeInviteAsync(PrivateChannel channel, string inviteId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrEmpty(inviteId);
        RequireAdmin(Refresh(channel));
        try
        {
            await _server.RevokeInviteAsync(channel.GroupId, inviteId, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code is "invite_not_found" or "not_found")
        {
            throw new ParleyClientException(ClientError.InviteNotFound, channel.Name, $"{channel.Name} has no invite {inviteId}.", e, inviteId);
        }
    }

    /// <summary>Joins the channel an invite link names, as a pseudonymous subscriber: a fresh signature key and "anon:"
    /// credential for this channel only, and a fresh anonymous queue (a random credential that names no device) through which
    /// the leaf receives and sends. Through an invite without approval the device joins at once by external commit, with no
    /// admin online; otherwise (or when the server holds no joinable state) its key package goes to the channel's admins and
    /// the Welcome arrives in the queue with a later sync, once an admin's device added it.</summary>
    public async Task<ChannelJoinRequest> JoinChannelAsync(InviteLink link, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (!InviteLink.SameServer(link.Server, Server))
        {
            throw new ParleyClientException($"This invite is for a channel on {link.Server}, but your account is on {Server}; join with an account there.");
        }
        byte[] queueToken = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var queue = QueueClient(queueToken);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (await JoinAtOnceAsync(link, queue, queueToken, cancellationToken).ConfigureAwait(false) is { } joined)
                {
                    return new ChannelJoinRequest(null, "joined", link.Server) { Channel = joined };
                }
            }
            catch (ServerProblemException e)
            {
                throw JoinProblem(e);
            }
            return await RequestJoinAsync(link, queue, queueToken, cancellationToken).ConfigureAwait(false);
        }
    }

    // Joins by external commit from the GroupInfo the server keeps for open invites; null when the invite needs approval or
    // the server holds no joinable state. Call with the device lock held.
    private async Task<PrivateChannel?> JoinAtOnceAsync(InviteLink link, ParleyServerClient queue, byte[] queueToken, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < _options.CommitAttempts; attempt++)
        {
            byte[] infoBytes;
            try
            {
                infoBytes = await queue.GetInviteGroupInfoAsync(link.Token, cancellationToken).ConfigureAwait(false);
            }
            catch (ServerProblemException e) when (e.Code is "invite_needs_approval" or "group_info_unavailable")
            {
                return null;
            }
            MlsGroup group;
            MlsMessage commit;
            try
            {
                var groupInfo = MlsMessage.Decode(infoBytes).GroupInfo ?? throw new MlsDecodeException("not a GroupInfo");
                var suite = CipherSuite.Get(groupInfo.GroupContext.CipherSuite);
                var signatureKey = suite.GenerateSignatureKeyPair();
                var credential = Credential.Basic(System.Text.Encoding.ASCII.GetBytes(PseudonymousLeaf.IdentityOf(signatureKey.PublicKey)));
                (group, commit) = MlsGroup.JoinByExternalCommit(groupInfo, credential, signatureKey, null,
                    new ExternalJoinOptions { Capabilities = _leaf.Capabilities }, _groupOptions);
            }
            catch (MlsException e)
            {
                throw new ParleyClientException($"The channel's state on the server cannot be joined ({e.Message}); ask an admin for a new invite.", e);
            }
            using (group)
            {
                var channel = ChannelRules.ChannelOf(group)
                              ?? throw new ParleyClientException("This invite is not for a channel; ask its admins for a new one.");
                var leaves = GroupRoster.Leaves(group);
                if (!ChannelRules.IsSubscriber(group) || !leaves.Any(l => channel.IsAdmin(l.Username)))
                {
                    throw new ParleyClientException($"The channel {channel.Name} has no admin; it cannot be joined.");
                }
                foreach (var leaf in leaves)
                {
                    if (await VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
                    {
                        throw new ParleyClientException($"The channel {channel.Name} has a member that fails verification ({problem}); not joining.");
                    }
                }
                if (_store.FindConversationByGroupId(group.GroupId) is { } existing && IsMember(existing.Id))
                {
                    throw new ParleyClientException($"You are already in the channel {channel.Name}.");
                }
                // The GroupInfo of the epoch this commit starts, with the tree and external_pub, so the next joiner needs no admin either.
                byte[] nextInfo = new MlsMessage(group.CreateGroupInfo(includeRatchetTree: true, includeExternalPub: true)).ToBytes();
                try
                {
                    await queue.JoinByExternalCommitAsync(link.Token, new SendRequest(ContentEnvelope.NewMessageId(), commit.ToBytes(), null, nextInfo),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (ServerProblemException e) when (e.Code == "stale_epoch")
                {
                    // Someone committed meanwhile: start again from the new state.
                    continue;
                }
                catch (ServerProblemException e) when (e.Code is "invite_needs_approval" or "group_info_unavailable")
                {
                    return null;
                }
                var now = Now;
                var conversation = new Conversation(ConversationId.New(), ConversationKind.Group, channel.Name, group.GroupId, null,
                    GroupRoster.Members(group), now, now, 0);
                using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    transaction.SaveConversation(conversation);
                    transaction.SaveGroupState(conversation.Id, group);
                    transaction.SaveChannelRecord(new PrivateChannelRecord(conversation.Id, channel.Name, true, ViewToken.NewKey(), 0,
                        QueueToken: queueToken));
                    transaction.Commit();
                }
                return DescribeChannel(conversation);
            }
        }
        throw new ParleyClientException("The channel kept changing while joining; try again.");
    }

    // Sends a join request from the queue, keeping the pseudonymous keys and the queue's token first so the Welcome can
    // always be opened. Call with the device lock held.
    private async Task<ChannelJoinRequest> RequestJoinAsync(InviteLink link, ParleyServerClient queue, byte[] queueToken,
        CancellationToken cancellationToken)
    {
        var (package, signatureKey) = PseudonymousLeaf.NewKeyPackage(_leaf.Suite, _leaf.Capabilities, Now, JoinKeyPackageLifetime);
        using var pending = new PendingChannelJoin(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), link.Server,
            null, "sending", package.Ref, package.Message, package.InitPrivateKey, package.EncryptionPrivateKey, signatureKey.PrivateKey, Now, queueToken);
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord(pending);
            transaction.Commit();
        }
        JoinRequestResponse response;
        try
        {
            response = await queue.RequestJoinAsync(link.Token, package.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e)
        {
            using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                transaction.DeleteChannelRecord(pending);
                transaction.Commit();
            }
            throw JoinProblem(e);
        }
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord(pending with { RequestId = response.RequestId, Status = response.Status });
            transaction.Commit();
        }
        return new ChannelJoinRequest(response.RequestId, response.Status, link.Server);
    }

    private static Exception JoinProblem(ServerProblemException e) => e.Code switch
    {
        "invite_not_found" => new ParleyClientException("This invite link does not work: it was revoked, or it never existed.", e),
        "invite_expired" => new ParleyClientException("This invite link has expired; ask an admin of the channel for a new one.", e),
        _ => e,
    };

    /// <summary>This device's join requests still waiting for a Welcome, with their status: pending while the server holds the
    /// request; once it is gone, the request's queue is read, and a request whose Welcome was not there was denied (or expired)
    /// and is forgotten.</summary>
    public async Task<IReadOnlyList<ChannelJoinRequest>> ListJoinRequestsAsync(CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var result = new List<ChannelJoinRequest>();
            foreach (var record in _store.GetChannelRecords().OfType<PendingChannelJoin>().ToList())
            {
                using var join = record;
                if (join.RequestId is null)
                {
                    continue;
                }
                string status = join.Status;
                try
                {
                    if (join.QueueToken is not { } token)
                    {
                        // A request from before subscriber queues: the server dropped it when it was upgraded.
                        status = "expired";
                    }
                    else
                    {
                        var queue = QueueClient(token);
                        try
                        {
                            status = (await queue.GetJoinRequestAsync(join.RequestId, cancellationToken).ConfigureAwait(false)).Status;
                        }
                        catch (ServerProblemException e) when (e.Code == "join_request_not_found")
                        {
                            // Answered or expired: an added request's Welcome waits in the queue.
                            await ReceiveFromAsync(queue, null, cancellationToken).ConfigureAwait(false);
                            bool welcomed = !_store.GetChannelRecords().OfType<PendingChannelJoin>().Any(j =>
                            {
                                using (j)
                                {
                                    return j.Id == join.Id;
                                }
                            });
                            status = welcomed ? "approved" : "denied";
                            if (welcomed)
                            {
                                result.Add(new ChannelJoinRequest(join.RequestId, status, join.Server));
                                continue;
                            }
                        }
                    }
                }
                catch (Exception e) when (e is ServerUnavailableException or ServerProblemException)
                {
                    // Show the last known status.
                }
                result.Add(new ChannelJoinRequest(join.RequestId, status, join.Server));
                if (status is "denied" or "expired")
                {
                    // No Welcome will come: the pseudonymous keys are of no further use.
                    using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    transaction.DeleteChannelRecord(join);
                    transaction.Commit();
                }
            }
            return result;
        }
    }

    /// <summary>The channel's pending join requests (admins).</summary>
    public async Task<IReadOnlyList<PendingJoinEntry>> ListChannelRequestsAsync(PrivateChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        RequireAdmin(Refresh(channel));
        return await _server.ListJoinRequestsAsync(channel.GroupId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Approves a join request (admins): commits the Add of its pseudonymous key package; the joiner's Welcome
    /// goes out with it.</summary>
    public async Task ApproveJoinRequestAsync(PrivateChannel channel, string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            channel = Refresh(channel);
            RequireAdmin(channel);
            var requests = await _server.ListJoinRequestsAsync(channel.GroupId, cancellationToken).ConfigureAwait(false);
            var request = requests.FirstOrDefault(r => r.RequestId == requestId)
                          ?? throw new ParleyClientException(ClientError.JoinRequestNotFound, channel.Name, $"{channel.Name} has no pending request {requestId}.",
                              detail: requestId);
            int added = await AddJoinRequestsAsync(channel, [request], cancellationToken).ConfigureAwait(false);
            if (added == 0)
            {
                throw new ParleyClientException($"Request {requestId} carries no usable key package; it was denied.");
            }
        }
    }

    /// <summary>Denies a join request (admins).</summary>
    public async Task DenyJoinRequestAsync(PrivateChannel channel, string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        RequireAdmin(Refresh(channel));
        try
        {
            await _server.DenyJoinRequestAsync(channel.GroupId, requestId, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code is "join_request_not_found" or "request_not_found" or "not_found")
        {
            throw new ParleyClientException(ClientError.JoinRequestNotFound, channel.Name, $"{channel.Name} has no pending request {requestId}.", e,
                requestId);
        }
    }

    // Adds the requests' pseudonymous key packages in one commit, denying those that are not acceptable. Call with
    // the device lock held. Returns how many were added.
    private async Task<int> AddJoinRequestsAsync(PrivateChannel channel, IReadOnlyList<PendingJoinEntry> requests, CancellationToken cancellationToken)
    {
        var acceptable = new List<KeyPackage>();
        using (var group = _store.LoadGroup(channel.Conversation, _groupOptions))
        {
            foreach (var request in requests)
            {
                if (AcceptableJoinPackage(group, request.KeyPackage) is { } keyPackage)
                {
                    acceptable.Add(keyPackage);
                }
                else
                {
                    await _server.DenyJoinRequestAsync(channel.GroupId, request.RequestId, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        if (acceptable.Count == 0)
        {
            return 0;
        }
        // Several commits of a bounded number of Adds: the commit carries every added key package and must stay under
        // the server's message limit (256 KiB by default); its Welcome (one secret per new member plus the ratchet
        // tree) has a limit of its own (4 MiB by default), which the tree, not the batch, reaches first.
        int added = 0;
        foreach (var batch in acceptable.Chunk(MaxAddsPerCommit))
        {
            int batchAdded = 0;
            await CommitAsync(channel.Conversation, group =>
            {
                var present = GroupRoster.Leaves(group).Select(l => Convert.ToHexString(l.Node.SignatureKey)).ToHashSet(StringComparer.Ordinal);
                var adds = batch.Where(k => !present.Contains(Convert.ToHexString(k.LeafNode.SignatureKey))).ToList();
                batchAdded = adds.Count;
                return new CommitPlan(adds.Select(k => (Proposal)new Add(k)).ToList(), []);
            }, cancellationToken).ConfigureAwait(false);
            added += batchAdded;
        }
        if (added > 0)
        {
            await ShareHistoryAsync(channel, cancellationToken).ConfigureAwait(false);
        }
        return added;
    }

    // Sends the channel's recent posts to everyone in it, for the subscribers just added (members who have them keep
    // theirs). Call with the device lock held, right after the commit that added them.
    private async Task ShareHistoryAsync(PrivateChannel channel, CancellationToken cancellationToken)
    {
        int limit = _store.GetPrivateChannel(channel.Conversation)?.HistoryLimit ?? PrivateChannelRecord.DefaultHistoryLimit;
        if (limit > 0 && ChannelHistory.Build(History(channel.Conversation, limit + 50), limit) is { } content)
        {
            await SendCoreAsync(channel.Conversation, content, cancellationToken).ConfigureAwait(false);
        }
    }

    // A join request's key package when it is a valid pseudonymous package this group can add, else null.
    private static KeyPackage? AcceptableJoinPackage(MlsGroup group, byte[] message)
    {
        KeyPackage? keyPackage;
        try
        {
            keyPackage = MlsMessage.Decode(message).KeyPackage;
        }
        catch (MlsDecodeException)
        {
            return null;
        }
        if (keyPackage is null || keyPackage.CipherSuite != group.Suite.Id || !keyPackage.Verify(group.Suite)
            || !PseudonymousLeaf.Is(keyPackage.LeafNode) || !ChannelRules.Supports(group, keyPackage))
        {
            return null;
        }
        return keyPackage;
    }

    // ---- Admins -------------------------------------------------------------------------------

    /// <summary>Makes <paramref name="username"/> an admin (admins): one commit that names them in the channel extension and
    /// adds every device of their account with its normal credential. Subscribers cannot be promoted: their leaves are
    /// pseudonymous, so the account joins as an admin with its own devices (its subscriber leaf, if any, stays anonymous).</summary>
    public async Task<PrivateChannel> AddChannelAdminAsync(PrivateChannel channel, string username, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        username = CheckUsername(username);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            channel = Refresh(channel);
            RequireAdmin(channel);
            if (channel.Admins.Contains(username))
            {
                throw new ParleyClientException($"{username} is already an admin of {channel.Name}.");
            }
            await LookUpAccountAsync(username, cancellationToken).ConfigureAwait(false);
            var claimed = await ClaimVerifiedAsync(username, cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0)
            {
                throw new ParleyClientException($"{username} has no devices with key packages left; ask {username} to open Parley once.");
            }
            await AddAdminDevicesAsync(channel.Conversation, claimed, username, cancellationToken).ConfigureAwait(false);
            return Refresh(channel);
        }
    }

    /// <summary>Takes <paramref name="username"/>'s admin rights away and removes their devices from the channel (admins).
    /// The last admin cannot be removed, and an admin cannot remove themself (another admin must).</summary>
    public async Task<PrivateChannel> RemoveChannelAdminAsync(PrivateChannel channel, string username, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        username = CheckUsername(username);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            channel = Refresh(channel);
            RequireAdmin(channel);
            if (!channel.Admins.Contains(username))
            {
                throw new ParleyClientException($"{username} is not an admin of {channel.Name}.");
            }
            if (channel.Admins.Count == 1)
            {
                throw new ParleyClientException($"{username} is the last admin of {channel.Name}; a channel needs at least one.");
            }
            if (username == Username)
            {
                throw new ParleyClientException(ClientError.AdminRemovesSelf, channel.Name, "An admin cannot remove themself; another admin can.");
            }
            await CommitAsync(channel.Conversation, group =>
            {
                var extension = ChannelRules.ChannelOf(group)!;
                var proposals = new List<Proposal> { new GroupContextExtensions(ReplaceChannel(group, extension.WithAdmins(extension.Admins.Where(a => a != username)))) };
                proposals.AddRange(GroupRoster.Leaves(group).Where(l => l.Username == username).Select(l => (Proposal)new Remove(l.Leaf)));
                return new CommitPlan(proposals, []);
            }, cancellationToken).ConfigureAwait(false);
            return Refresh(channel);
        }
    }

    // Adds admin devices (claimed key packages) to a channel in one commit, naming newAdmin in the channel extension
    // when given, then tells every member the channel's name (new devices learn it from that message). Call with the
    // device lock held.
    private async Task AddAdminDevicesAsync(ConversationId conversation, IReadOnlyList<ClaimedPackage> claimed, string? newAdmin,
        CancellationToken cancellationToken)
    {
        bool committed = await CommitAsync(conversation, group =>
        {
            var present = GroupRoster.Leaves(group).Select(l => l.DeviceId).ToHashSet(StringComparer.Ordinal);
            var adds = claimed.Where(c => !present.Contains(c.DeviceId) && ChannelRules.Supports(group, c.KeyPackage)).ToList();
            var proposals = new List<Proposal>();
            if (newAdmin is not null && ChannelRules.ChannelOf(group) is { } extension)
            {
                if (adds.Count == 0)
                {
                    throw new ParleyClientException($"{newAdmin}'s devices cannot join a channel yet; ask {newAdmin} to update Parley and open it once.");
                }
                proposals.Add(new GroupContextExtensions(ReplaceChannel(group, extension.WithAdmins(extension.Admins.Append(newAdmin)))));
            }
            proposals.AddRange(adds.Select(c => (Proposal)new Add(c.KeyPackage)));
            return new CommitPlan(proposals, adds.GroupBy(c => c.Username).Select(g => new ConversationMember(g.Key, g.Select(c => c.DeviceId).ToArray())).ToList());
        }, cancellationToken).ConfigureAwait(false);
        if (committed && _store.GetConversation(conversation) is { } current)
        {
            await SendCoreAsync(conversation, new ConversationInfoContent(ConversationKind.Group, current.DisplayName), cancellationToken).ConfigureAwait(false);
        }
    }

    // The group's context extensions with the channel extension replaced.
    private static List<Extension> ReplaceChannel(MlsGroup group, ChannelExtension channel)
        => group.Context.Extensions.Where(e => e.Type != ChannelExtension.ExtensionType).Append(channel.ToExtension()).ToList();

    /// <summary>Leaves a channel: a subscriber proposes removing its pseudonymous leaf (an admin's device commits it) and
    /// forgets the channel. Admins are removed by another admin instead.</summary>
    public async Task LeaveChannelAsync(PrivateChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            channel = Refresh(channel);
            if (channel.IsAdmin)
            {
                throw new ParleyClientException(ClientError.AdminLeaves, channel.Name,
                    $"You are an admin of {channel.Name}; another admin must remove you as admin first.", detail: Username);
            }
            using (var group = _store.LoadGroup(channel.Conversation, _groupOptions))
            {
                if (group.IsActive)
                {
                    byte[] proposal = group.ProposeRemove(group.OwnLeafIndex).ToBytes();
                    await ServerFor(channel.Conversation).SendMessageAsync(channel.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), proposal, null),
                            cancellationToken)
                        .ConfigureAwait(false);
                }
            }
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (_store.GetPrivateChannel(channel.Conversation) is { } record)
            {
                transaction.DeleteChannelRecord(record);
            }
            transaction.DeleteConversation(channel.Conversation);
            transaction.Commit();
        }
    }

    /// <summary>Checks a channel name: 1 to 64 characters, no control characters, not only spaces.</summary>
    public static string CheckChannelName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.Trim();
        if (trimmed.Length is 0 or > 64 || trimmed.Any(char.IsControl))
        {
            throw new ParleyClientException($"'{name}' is not a valid channel name: use 1 to 64 characters.");
        }
        return trimmed;
    }

    // ---- Hooks in sending and receiving -------------------------------------------------------

    /// <summary>Refuses group operations on a channel: adding named members would show them to every subscriber, and
    /// admins and the name change through the channel extension instead.</summary>
    private void RequireNotChannel(Conversation conversation)
    {
        using var group = _store.LoadGroup(conversation.Id, _groupOptions);
        if (ChannelRules.ChannelOf(group) is { } channel)
        {
            throw new ParleyClientException(ClientError.ChannelMembersByInvite, channel.Name,
                $"{channel.Name} is a channel: people join it by invite link, and admins are added and removed as admins.");
        }
    }

    /// <summary>In a channel, receipts are never sent (they would fan out to every member and tell who read what), and
    /// a subscriber may send nothing at all. True when <paramref name="content"/> is silently not sent.</summary>
    private bool SuppressedInChannel(MlsGroup group, Conversation conversation, MessageContent content)
    {
        if (!ChannelRules.IsChannel(group))
        {
            return false;
        }
        if (content is DeliveryReceiptContent or ReadReceiptContent)
        {
            return true;
        }
        if (!ChannelRules.IsAdmin(group, Username))
        {
            throw new ParleyClientException($"Only the admins of the channel {ChannelRules.ChannelOf(group)?.Name ?? conversation.DisplayName} can post to it; you are a subscriber.");
        }
        return false;
    }

    /// <summary>Verifies a leaf of <paramref name="group"/>: a well-formed pseudonymous leaf is accepted without an account
    /// in a channel (and only there); every other leaf must be a device certified by its account.</summary>
    private async Task<string?> VerifyMemberLeafAsync(MlsGroup group, RosterLeaf leaf, CancellationToken cancellationToken)
    {
        if (ChannelRules.IsChannel(group))
        {
            _channelGroupsSeen.Add(Convert.ToHexString(group.GroupId));
            if (ChannelRules.AcceptsWithoutAccount(group, leaf))
            {
                return null;
            }
            if (PseudonymousLeaf.ClaimsToBe(leaf.Node))
            {
                return "its pseudonymous credential does not match its key";
            }
        }
        return await VerifyLeafAsync(leaf, group.Suite.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a Welcome that answers one of this device's channel join requests (with the request's pseudonymous
    /// keys) and saves the channel; null when the Welcome names none of them (an ordinary Welcome).</summary>
    private async Task<List<ClientEvent>?> TryJoinChannelAsync(string deliveryId, MlsMessage message, CancellationToken cancellationToken)
    {
        var welcome = message.Welcome!;
        var joins = _store.GetChannelRecords().OfType<PendingChannelJoin>().ToList();
        try
        {
            var pending = joins.FirstOrDefault(j => welcome.Secrets.Any(s => s.NewMember.AsSpan().SequenceEqual(j.KeyPackageRef)));
            if (pending is null)
            {
                return null;
            }
            MlsGroup group;
            try
            {
                var keyPackage = MlsMessage.Decode(pending.KeyPackage).KeyPackage
                                 ?? throw new DeliveryRejected("a stored join request holds no key package");
                using var bundle = KeyPackageBundle.FromPrivateKeys(keyPackage, pending.InitPrivateKey, pending.EncryptionPrivateKey, pending.SignaturePrivateKey);
                group = MlsGroup.JoinFromWelcome(message, bundle, null, _groupOptions);
            }
            catch (MlsException e)
            {
                throw new DeliveryRejected("a channel Welcome could not be opened: " + e.Message);
            }
            using (group)
            {
                var channel = ChannelRules.ChannelOf(group) ?? throw new DeliveryRejected("a Welcome answering a channel join request is not for a channel");
                if (_store.FindConversationByGroupId(group.GroupId) is not null)
                {
                    throw new DeliveryRejected("a Welcome to a channel this device is already in");
                }
                if (!ChannelRules.IsSubscriber(group))
                {
                    throw new DeliveryRejected("a channel Welcome that does not keep this device pseudonymous");
                }
                var leaves = GroupRoster.Leaves(group);
                if (!leaves.Any(l => channel.IsAdmin(l.Username)))
                {
                    throw new DeliveryRejected($"a Welcome to channel {channel.Name}, which has no admin");
                }
                foreach (var leaf in leaves)
                {
                    if (await VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
                    {
                        throw new DeliveryRejected($"a Welcome to a channel with an unverifiable member ({problem})");
                    }
                }
                var now = Now;
                var conversation = new Conversation(ConversationId.New(), ConversationKind.Group, channel.Name, group.GroupId, null,
                    GroupRoster.Members(group), now, now, 0);
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.SaveConversation(conversation);
                transaction.SaveGroupState(conversation.Id, group);
                transaction.SaveChannelRecord(new PrivateChannelRecord(conversation.Id, channel.Name, true, ViewToken.NewKey(), 0,
                    QueueToken: pending.QueueToken?.ToArray()));
                transaction.DeleteChannelRecord(pending);
                transaction.MarkDeliveryProcessed(deliveryId);
                transaction.Commit();
                return [new ConversationJoined(conversation, null)];
            }
        }
        finally
        {
            foreach (var join in joins)
            {
                join.Dispose();
            }
        }
    }

    /// <summary>After a sync: records channels joined through ordinary Welcomes, forgets records of deleted channels, and
    /// on admin devices adds the pending join requests of invites that need no approval. Call with the device lock held.</summary>
    private async Task AfterChannelSyncAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        foreach (var id in _historyDue.ToList())
        {
            _historyDue.Remove(id);
            if (_store.GetConversation(id) is { } joinedTo && DescribeChannel(joinedTo) is { IsAdmin: true, IsActive: true } administered)
            {
                try
                {
                    await ShareHistoryAsync(administered, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ServerProblemException or ParleyClientException)
                {
                    // The subscriber starts without the earlier posts.
                }
            }
        }
        foreach (string groupHex in _channelGroupsSeen.ToList())
        {
            _channelGroupsSeen.Remove(groupHex);
            if (_store.FindConversationByGroupId(Convert.FromHexString(groupHex)) is { } joined && _store.GetPrivateChannel(joined.Id) is null)
            {
                DescribeChannel(joined);
            }
        }
        foreach (var record in _store.GetChannelRecords())
        {
            if (record is PendingChannelJoin join)
            {
                join.Dispose();
                continue;
            }
            if (record is not PrivateChannelRecord channelRecord)
            {
                continue;
            }
            if (_store.GetConversation(channelRecord.Conversation) is not { } conversation)
            {
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                transaction.DeleteChannelRecord(channelRecord);
                transaction.Commit();
                continue;
            }
            if (channelRecord.Pseudonymous)
            {
                if (channelRecord.ActiveQueueToken is null)
                {
                    await MoveToQueueAsync(conversation, channelRecord, events, cancellationToken).ConfigureAwait(false);
                }
                continue;
            }
            try
            {
                var channel = DescribeChannel(conversation);
                if (channel is not { IsAdmin: true, IsActive: true })
                {
                    continue;
                }
                var requests = await _server.ListJoinRequestsAsync(channel.GroupId, cancellationToken).ConfigureAwait(false);
                var automatic = requests.Where(r => !r.Approval).ToList();
                if (automatic.Count > 0)
                {
                    await AddJoinRequestsAsync(channel, automatic, cancellationToken).ConfigureAwait(false);
                }
                await AnnounceJoinRequestsAsync(conversation, channel, channelRecord, requests, events, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ServerProblemException or ParleyClientException)
            {
                // Another admin was faster, or the server refused: next sync.
            }
        }
    }

    // A subscriber leaf from before queues: hands it from this device to a fresh queue, so the server no longer links the
    // subscriber to the device. The token is stored (marked as moving) before the server is asked, and the device keeps
    // acting for the leaf until the server confirmed; a move cut short is finished on a later sync (a second request finds
    // the device no longer in the channel). Call with the device lock held.
    private async Task MoveToQueueAsync(Conversation conversation, PrivateChannelRecord record, List<ClientEvent>? events,
        CancellationToken cancellationToken)
    {
        using (var group = _store.LoadGroup(conversation.Id, _groupOptions))
        {
            if (!group.IsActive)
            {
                return;
            }
        }
        var moving = record.QueueToken is null
            ? record with { QueueToken = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), QueueMoving = true }
            : record;
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord(moving);
            transaction.Commit();
        }
        try
        {
            await _server.MoveToQueueAsync(conversation.GroupId, moving.QueueToken!, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code == "channel_not_found")
        {
            // Moved already by a request whose answer was lost (or this device is no longer in the channel).
        }
        catch (ServerUnavailableException)
        {
            return;
        }
        // What was sent to the device before the move is in its own mailbox: take it before anything from the queue.
        await ReceiveFromAsync(_server, events, cancellationToken).ConfigureAwait(false);
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord((_store.GetPrivateChannel(conversation.Id) ?? moving) with { QueueToken = moving.QueueToken, QueueMoving = false });
            transaction.Commit();
        }
    }

    // Tells this device's person once about each request that waits for an admin's approval; the record keeps the
    // ids still pending, so a request is announced again only on another admin device.
    private async Task AnnounceJoinRequestsAsync(Conversation conversation, PrivateChannel channel, PrivateChannelRecord record,
        IReadOnlyList<PendingJoinEntry> requests, List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        var waiting = requests.Where(r => r.Approval).Select(r => r.RequestId).ToList();
        var announced = record.AnnouncedRequests ?? [];
        if (waiting.SequenceEqual(announced))
        {
            return;
        }
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SaveChannelRecord((_store.GetPrivateChannel(record.Conversation) ?? record) with { AnnouncedRequests = waiting });
            transaction.Commit();
        }
        foreach (string id in waiting.Except(announced, StringComparer.Ordinal))
        {
            var e = new JoinRequested(conversation, channel.Name, id);
            events?.Add(e);
            Raise(e);
        }
    }
}
