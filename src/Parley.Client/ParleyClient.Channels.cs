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
    /// <summary>The most join requests one commit adds.</summary>
    private const int MaxAddsPerCommit = 50;

    /// <summary>How long a pseudonymous join key package stays valid.</summary>
    private static readonly TimeSpan JoinKeyPackageLifetime = TimeSpan.FromDays(30);

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
            // Channels stay in the registered suite: a subscriber asking to join builds its pseudonymous key package before it
            // learns anything of the channel (docs/protocol.md, "Cipher suites").
            var own = await ClaimVerifiedAsync(Username, _leaf.Suite.Id, cancellationToken).ConfigureAwait(false);
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
            var claimed = await ClaimVerifiedAsync(username, SuiteOf(channel.Conversation), cancellationToken).ConfigureAwait(false);
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
            // A subscriber's commits come through its queue, which is polled, not pushed: the proposal must be made at
            // the channel's current epoch.
            await ReceiveQueuesAsync(null, cancellationToken).ConfigureAwait(false);
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
}
