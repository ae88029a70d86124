// Conversations on MLS groups (RFC 9420 §11, §12): 1:1 chats and groups whose every member device is a
// leaf, created and changed by commits that the server orders per group.
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client;

public sealed partial class ParleyClient
{
    /// <summary>The conversation a person means by <paramref name="name"/>: its shared id (<see cref="Conversation.SharedId"/>,
    /// or an unambiguous prefix of at least 6 of its hex digits), a group's title, or a contact's user name (their
    /// 1:1 chat); null when none matches.</summary>
    public Conversation? FindConversation(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string text = name.Trim();
        var all = _store.Conversations;
        var byId = Conversation.IsIdPrefix(text)
            ? all.Where(c => c.SharedId.StartsWith(text.ToLowerInvariant(), StringComparison.Ordinal)).ToList()
            : [];
        if (byId.Count > 1)
        {
            throw new ParleyClientException(ClientError.ConversationIdAmbiguous, text, $"Several conversations have ids starting with {text}; give more of the id.");
        }
        if (byId.Count == 1)
        {
            return byId[0];
        }
        var groups = all.Where(c => c.Kind == ConversationKind.Group && string.Equals(c.DisplayName, text, StringComparison.OrdinalIgnoreCase)).ToList();
        if (groups.Count > 1)
        {
            throw new ParleyClientException(ClientError.ConversationNameAmbiguous, text, $"Several groups are named {text}; use the group's id.");
        }
        if (groups.Count == 1)
        {
            return groups[0];
        }
        if (!UsernameProfile.TryCanonicalize(text, out string? user))
        {
            return null;
        }
        // The 1:1 chat with that account; if two were started at once, the one with the latest activity.
        return all.Where(c => c.Kind == ConversationKind.Direct && c.Members.Any(m => m.Username == user)
                              && c.Members.All(m => m.Username == user || m.Username == Username))
            .OrderByDescending(c => c.LastActivityAt).FirstOrDefault();
    }

    /// <summary>The conversations shown as <paramref name="name"/> (groups, 1:1 chats and private channels), to warn
    /// before a new group takes a name that is already in use.</summary>
    public IReadOnlyList<Conversation> ConversationsNamed(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string text = name.Trim();
        return _store.Conversations.Where(c => string.Equals(c.DisplayName, text, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>Like <see cref="FindConversation"/>, but throws a sentence when nothing matches.</summary>
    public Conversation GetConversation(string name)
        => FindConversation(name) ?? throw new ParleyClientException(ClientError.ConversationNotFound, name, $"No conversation is named {name}.");

    /// <summary>Whether this device is still a member of the conversation (false once removed).</summary>
    public bool IsMember(ConversationId conversation)
    {
        using var group = _store.LoadGroup(conversation, _groupOptions);
        return group.IsActive;
    }

    /// <summary>The 1:1 chat with <paramref name="username"/>, created (with every device of both accounts) when there is none.</summary>
    public async Task<Conversation> OpenDirectAsync(string username, CancellationToken cancellationToken = default)
    {
        username = CheckUsername(username);
        if (username == Username)
        {
            throw new ParleyClientException("A 1:1 chat needs another account; to reach your other devices, use a group.");
        }
        if (FindConversation(username) is { Kind: ConversationKind.Direct } existing)
        {
            return existing;
        }
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            if (FindConversation(username) is { Kind: ConversationKind.Direct } joined)
            {
                return joined;
            }
            return await CreateConversationCoreAsync(ConversationKind.Direct, username, [username], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Creates a group named <paramref name="title"/> with the given accounts (all their devices, and this
    /// account's other devices).</summary>
    public async Task<Conversation> CreateGroupAsync(string title, IEnumerable<string> members, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(members);
        var names = members.Select(CheckUsername).Where(m => m != Username).Distinct().ToList();
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            return await CreateConversationCoreAsync(ConversationKind.Group, title.Trim(), names, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Conversation> CreateConversationCoreAsync(ConversationKind kind, string title, IReadOnlyList<string> members,
        CancellationToken cancellationToken)
    {
        // Claim first: a member without key packages fails the creation before anything exists.
        var (suite, claimed) = await _claims.ClaimForAsync(members, includeOwnDevices: true, null, cancellationToken).ConfigureAwait(false);
        byte[] groupId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        using (var group = _leaf.InSuite(suite).CreateGroup(groupId, _groupOptions))
        {
            await _server.CreateGroupAsync(groupId, group.Suite.Id, GenesisGroupInfo(group), cancellationToken, DeliveryKeyOf(group, groupId))
                .ConfigureAwait(false);
            var now = Now;
            var conversation = new Conversation(ConversationId.New(), kind, kind == ConversationKind.Direct ? members[0] : title, groupId, null,
                GroupRoster.Members(group), now, now, 0);
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.SaveConversation(conversation);
            transaction.SaveGroupState(conversation.Id, group);
            transaction.Commit();
        }
        var created = _store.FindConversationByGroupId(groupId)!;
        await AddClaimedAsync(created.Id, claimed, cancellationToken).ConfigureAwait(false);
        return _store.GetConversation(created.Id)!;
    }

    /// <summary>Adds accounts (every device of each) to a conversation; returns the accounts and devices the commit
    /// added. Throws, changing nothing, when one of them is already a member or none of their devices could be added.</summary>
    public async Task<IReadOnlyList<ConversationMember>> AddMembersAsync(ConversationId conversation, IEnumerable<string> usernames,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usernames);
        var names = usernames.Select(CheckUsername).Distinct().ToList();
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var current = _store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
            RequireNotChannel(current);
            if (current.Kind == ConversationKind.Direct)
            {
                throw new ParleyClientException("A 1:1 chat cannot have more members; create a group.");
            }
            // A member who left is out only once someone commits the departure: do that first.
            await CommitPendingProposalsAsync(conversation, null, cancellationToken).ConfigureAwait(false);
            current = _store.GetConversation(conversation)!;
            var present = names.Where(n => n == Username || current.Members.Any(m => m.Username == n)).ToList();
            if (present.Count > 0)
            {
                throw new ParleyClientException($"{string.Join(", ", present)} {(present.Count == 1 ? "is" : "are")} already in {current.DisplayName}.");
            }
            var (_, claimed) = await _claims.ClaimForAsync(names, includeOwnDevices: false, SuiteOf(conversation), cancellationToken)
                .ConfigureAwait(false);
            var added = await AddClaimedAsync(conversation, claimed, cancellationToken).ConfigureAwait(false);
            if (added.Count == 0)
            {
                throw new ParleyClientException($"No device of {string.Join(", ", names)} could be added to {current.DisplayName}.");
            }
            return added;
        }
    }

    /// <summary>Removes accounts (every device of each) from a conversation; they cannot read anything sent after.</summary>
    public async Task RemoveMembersAsync(ConversationId conversation, IEnumerable<string> usernames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usernames);
        var names = usernames.Select(CheckUsername).ToHashSet(StringComparer.Ordinal);
        if (names.Contains(Username))
        {
            throw new ParleyClientException("To remove yourself, leave the group.");
        }
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var current = _store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
            RequireNotChannel(current);
            var unknown = names.Where(n => current.Members.All(m => m.Username != n)).ToList();
            if (unknown.Count > 0)
            {
                throw new ParleyClientException($"{string.Join(", ", unknown)} {(unknown.Count == 1 ? "is" : "are")} not in {current.DisplayName}.");
            }
            await CommitAsync(conversation, group => new CommitPlan(
                GroupRoster.Leaves(group).Where(l => l.Username is { } u && names.Contains(u)).Select(l => (Proposal)new Remove(l.Leaf)).ToList(),
                []), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Leaves a conversation: proposes removing every device of this account (the next member online
    /// commits it) and deletes the conversation from this device.</summary>
    public async Task LeaveAsync(ConversationId conversation, CancellationToken cancellationToken = default)
    {
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var current = _store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
            using (var group = _store.LoadGroup(conversation, _groupOptions))
            {
                if (group.IsActive)
                {
                    var own = GroupRoster.Leaves(group).Where(l => l.Username == Username).ToList();
                    bool alone = GroupRoster.Leaves(group).All(l => l.Username == Username);
                    foreach (var leaf in alone ? [] : own)
                    {
                        byte[] proposal = group.ProposeRemove(leaf.Leaf).ToBytes();
                        // Proposals are not queued: leaving needs the server now.
                        await _server.SendMessageAsync(current.GroupId, new SendRequest(ContentEnvelope.NewMessageId(), proposal, null), cancellationToken)
                            .ConfigureAwait(false);
                    }
                }
            }
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.DeleteConversation(conversation);
            transaction.Commit();
        }
    }

    /// <summary>Renames a group (every member sees the new title).</summary>
    public async Task RenameAsync(ConversationId conversation, string title, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        var current = _store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
        RequireNotChannel(current);
        if (current.Kind != ConversationKind.Group)
        {
            throw new ParleyClientException("Only groups have a name to change.");
        }
        await SendAsync(conversation, new ConversationInfoContent(ConversationKind.Group, title.Trim()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets (or with null, turns off) the conversation's disappearing-message timer for every member.</summary>
    public Task SetDisappearingTimerAsync(ConversationId conversation, TimeSpan? timer, CancellationToken cancellationToken = default)
    {
        if (timer is { } t && (t < TimeSpan.FromSeconds(1) || t > TimeSpan.FromDays(365)))
        {
            throw new ParleyClientException("A disappearing-message timer is between 1 second and a year.");
        }
        return SendAsync(conversation, new DisappearingTimerContent(timer), cancellationToken);
    }

    /// <summary>The safety number with <paramref name="username"/>: their key is fetched from the directory and checked
    /// against the pinned one (pinned if new); throws <see cref="IdentityKeyChangedException"/> when it changed.</summary>
    public async Task<(Contact Contact, SafetyNumber Number)> GetSafetyNumberAsync(string username, CancellationToken cancellationToken = default)
    {
        username = CheckUsername(username);
        if (username == Username)
        {
            throw new ParleyClientException("A safety number is shared with another account.");
        }
        await LookUpAccountAsync(username, cancellationToken).ConfigureAwait(false);
        var contact = _store.GetContact(username)!;
        return (contact, _store.SafetyNumberWith(username));
    }

    /// <summary>Marks <paramref name="username"/> verified (after comparing safety numbers in person).</summary>
    public Contact MarkVerified(string username)
    {
        username = CheckUsername(username);
        var contact = _store.GetContact(username) ?? throw new ParleyClientException(ClientError.NotAContact, username,
            $"{username} is not a contact yet; look up their safety number first.");
        var verified = _store.MarkVerified(username, contact.IdentityKey);
        Raise(new ContactUpdated(verified, "verified"));
        return verified;
    }

    /// <summary>Accepts <paramref name="username"/>'s new identity key (after comparing the new safety number).</summary>
    public Contact AcceptIdentityKeyChange(string username)
    {
        username = CheckUsername(username);
        var contact = _store.AcceptIdentityKeyChange(username);
        _leaves.Forget(username);
        Raise(new ContactUpdated(contact, "key accepted"));
        return contact;
    }

    // ---- Key packages of others -----------------------------------------------------------------

    private Task<DirectoryEntry> LookUpAccountAsync(string username, CancellationToken cancellationToken)
        => _claims.LookUpAccountAsync(username, cancellationToken);

    private Task<List<ClaimedPackage>> ClaimVerifiedAsync(string username, ushort cipherSuite, CancellationToken cancellationToken)
        => _claims.ClaimVerifiedAsync(username, cipherSuite, cancellationToken);

    /// <summary>The MLS cipher suite of a conversation's group (<see cref="DefaultCipherSuite"/> or
    /// <see cref="PostQuantumCipherSuite"/>, docs/protocol.md, "Cipher suites").</summary>
    public ushort SuiteOf(ConversationId conversation)
    {
        using var group = _store.LoadGroup(conversation, _groupOptions);
        return group.Suite.Id;
    }

    /// <summary>Commits Adds for the claimed packages whose devices are not in the group yet, then tells every member
    /// the conversation's kind, title and timer (new members learn them from that message).</summary>
    private async Task<IReadOnlyList<ConversationMember>> AddClaimedAsync(ConversationId conversation, IReadOnlyList<ClaimedPackage> claimed,
        CancellationToken cancellationToken)
    {
        if (claimed.Count == 0)
        {
            return [];
        }
        IReadOnlyList<ConversationMember> added = [];
        bool committed = await CommitAsync(conversation, group =>
        {
            var present = GroupRoster.Leaves(group).Select(l => l.DeviceId).ToHashSet(StringComparer.Ordinal);
            var adds = claimed.Where(c => !present.Contains(c.DeviceId)).ToList();
            added = adds.GroupBy(c => c.Username).Select(g => new ConversationMember(g.Key, g.Select(c => c.DeviceId).ToArray())).ToList();
            return new CommitPlan(adds.Select(c => (Proposal)new Add(c.KeyPackage)).ToList(), added);
        }, cancellationToken).ConfigureAwait(false);
        if (committed && _store.GetConversation(conversation) is { } current)
        {
            await SendCoreAsync(conversation, new ConversationInfoContent(current.Kind, current.Kind == ConversationKind.Group ? current.DisplayName : ""),
                cancellationToken).ConfigureAwait(false);
            if (current.DisappearingTimer is { } timer)
            {
                await SendCoreAsync(conversation, new DisappearingTimerContent(timer), cancellationToken).ConfigureAwait(false);
            }
        }
        return committed ? added.Where(m => m.Username != Username).ToList() : [];
    }

    // The new group's epoch 0 GroupInfo, which the server checks every later handshake message against (without the tree or
    // external_pub: it lets nobody join).
    private static byte[] GenesisGroupInfo(MlsGroup group)
        => new MlsMessage(group.CreateGroupInfo(includeRatchetTree: false, includeExternalPub: false)).ToBytes();
}
