// Private channels (docs/channels.md, "Joining"): invite links, pseudonymous join requests (or joining at once
// by external commit) and their approval by an admin.
using Parley.Mls.Crypto;
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
            finally
            {
                // While listening, the new queue's socket opens now: the channel's posts, or the Welcome, are pushed.
                ListenToQueues(QueueTokens());
            }
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
                    if (await _leaves.VerifyMemberLeafAsync(group, leaf, cancellationToken).ConfigureAwait(false) is { } problem)
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
                            await _pipeline.ReceiveFromAsync(queue, null, cancellationToken).ConfigureAwait(false);
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
        // the server's message limit (1,280 KiB by default); its Welcome (one secret per new member plus the ratchet
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
}
