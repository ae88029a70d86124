// Private channels (docs/channels.md, "Joining"): invite links, pseudonymous join requests and their
// approval, and what an admin's device does after each sync (adds the requests that need no approval,
// announces the others once).
using Parley.Client.Channels;
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls;
using Parley.Mls.Codec;
using Parley.Mls.Group;
using Parley.Mls.Messages;

namespace Parley.Client;

public sealed partial class ParleyClient
{
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

    /// <summary>Asks to join the channel an invite link names, as a pseudonymous subscriber: a fresh signature key and
    /// "anon:" credential for this channel only, whose key package goes to the channel's admins. The Welcome arrives
    /// with a later sync, once an admin's device added it (at once for invites without approval).</summary>
    public async Task<ChannelJoinRequest> JoinChannelAsync(InviteLink link, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (!InviteLink.SameServer(link.Server, Server))
        {
            throw new ParleyClientException($"This invite is for a channel on {link.Server}, but your account is on {Server}; join with an account there.");
        }
        var (package, signatureKey) = PseudonymousLeaf.NewKeyPackage(_leaf.Suite, _leaf.Capabilities, Now, JoinKeyPackageLifetime);
        var pending = new PendingChannelJoin(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), link.Server, null,
            "sending", package.Ref, package.Message, package.InitPrivateKey, package.EncryptionPrivateKey, signatureKey.PrivateKey, Now);
        using (pending)
        {
            using (await LockAsync(cancellationToken).ConfigureAwait(false))
            {
                // Keep the keys before the request exists, so the Welcome can always be opened.
                using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    transaction.SaveChannelRecord(pending);
                    transaction.Commit();
                }
                JoinRequestResponse response;
                try
                {
                    response = await _server.RequestJoinAsync(link.Token, package.Message, cancellationToken).ConfigureAwait(false);
                }
                catch (ServerProblemException e)
                {
                    using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                    {
                        transaction.DeleteChannelRecord(pending);
                        transaction.Commit();
                    }
                    throw e.Code switch
                    {
                        "invite_not_found" => new ParleyClientException("This invite link does not work: it was revoked, or it never existed.", e),
                        "invite_expired" => new ParleyClientException("This invite link has expired; ask an admin of the channel for a new one.", e),
                        _ => e,
                    };
                }
                using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    transaction.SaveChannelRecord(pending with { RequestId = response.RequestId, Status = response.Status });
                    transaction.Commit();
                }
                return new ChannelJoinRequest(response.RequestId, response.Status, link.Server);
            }
        }
    }

    /// <summary>This device's join requests still waiting for a Welcome, with their status on the server.</summary>
    public async Task<IReadOnlyList<ChannelJoinRequest>> ListJoinRequestsAsync(CancellationToken cancellationToken = default)
    {
        var pending = _store.GetChannelRecords().OfType<PendingChannelJoin>().ToList();
        var result = new List<ChannelJoinRequest>();
        foreach (var join in pending)
        {
            using (join)
            {
                if (join.RequestId is null)
                {
                    continue;
                }
                string status = join.Status;
                try
                {
                    status = (await _server.GetJoinRequestAsync(join.RequestId, cancellationToken).ConfigureAwait(false)).Status;
                }
                catch (ServerProblemException e) when (e.Code == "join_request_not_found")
                {
                    status = "expired";
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
        }
        return result;
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

    // ---- After a sync ---------------------------------------------------------------------------

    /// <summary>After a sync: records channels joined through ordinary Welcomes, forgets records of deleted channels, and
    /// on admin devices adds the pending join requests of invites that need no approval. Call with the device lock held.</summary>
    private async Task AfterChannelSyncAsync(List<ClientEvent>? events, CancellationToken cancellationToken)
    {
        foreach (byte[] groupId in _channels.TakeSeen())
        {
            if (_store.FindConversationByGroupId(groupId) is { } joined && _store.GetPrivateChannel(joined.Id) is null)
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
