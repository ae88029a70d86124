using Npgsql;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Private channels in PostgreSQL, shared by every node. Registering locks the group's row, so it is ordered
/// with the group's commits; a commit that adds a join request's key package locks that request's row, so an admin's
/// denial and the commit cannot both win.</summary>
internal sealed class PostgresChannelStore(PostgresDatabase database) : IChannelStore
{
    public Task<RegisterChannelOutcome> RegisterAsync(GroupId group, DeviceId caller, AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(WriteKeys.ForGroup(group.Value), async (connection, ct) =>
        {
            if (await connection.ScalarAsync("SELECT 1 FROM groups WHERE group_id = $1 FOR UPDATE", [group.Value], ct) is null)
            {
                return RegisterChannelOutcome.NotMember;
            }
            var members = await connection.QueryAsync(
                """
                SELECT m.device_id, d.account_id FROM group_members m LEFT JOIN devices d ON d.device_id = m.device_id
                WHERE m.group_id = $1
                """,
                [group.Value], static r => (Device: r.GetString(0), Account: r.IsDBNull(1) ? null : r.GetString(1)), ct);
            // Membership first: to anyone outside, a channel looks like any group they are not in.
            if (!members.Any(m => m.Device == caller.Value))
            {
                return RegisterChannelOutcome.NotMember;
            }
            if (await connection.ScalarAsync("SELECT 1 FROM channels WHERE group_id = $1", [group.Value], ct) is not null)
            {
                return RegisterChannelOutcome.AlreadyChannel;
            }
            if (members.Any(m => m.Account != account.Value))
            {
                return RegisterChannelOutcome.OtherMembers;
            }
            await connection.ExecuteAsync("INSERT INTO channels (group_id) VALUES ($1)", [group.Value], ct);
            await connection.ExecuteAsync("INSERT INTO channel_admins (group_id, account_id, position) VALUES ($1, $2, 0)",
                [group.Value, account.Value], ct);
            return RegisterChannelOutcome.Registered;
        }, cancellationToken);

    public async Task<ChannelInfo?> FindAsync(GroupId group, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var admins = await connection.QueryAsync(
            """
            SELECT c.account_id, a.username FROM channel_admins c JOIN accounts a ON a.account_id = c.account_id
            WHERE c.group_id = $1 ORDER BY c.position
            """,
            [group.Value], static r => (Account: new AccountId(r.GetString(0)), Username: r.GetString(1)), cancellationToken);
        if (admins.Count == 0)
        {
            return null;
        }
        long subscribers = (long)(await connection.ScalarAsync(
            """
            SELECT count(*) FROM group_members m LEFT JOIN devices d ON d.device_id = m.device_id
            WHERE m.group_id = $1
              AND NOT EXISTS (SELECT 1 FROM channel_admins c WHERE c.group_id = $1 AND c.account_id = d.account_id)
            """,
            [group.Value], cancellationToken))!;
        return new ChannelInfo(group, admins.Select(a => a.Account).ToList(), admins.Select(a => a.Username).ToList(), (int)subscribers);
    }

    public async Task<IReadOnlyList<AccountId>?> AdminsAsync(GroupId group, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var admins = await connection.QueryAsync("SELECT account_id FROM channel_admins WHERE group_id = $1 ORDER BY position",
            [group.Value], static r => new AccountId(r.GetString(0)), cancellationToken);
        return admins.Count == 0 ? null : admins;
    }

    public async Task<bool> IsMemberAsync(GroupId group, DeviceId device, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await IsMemberAsync(connection, group.Value, device.Value, cancellationToken);
    }

    public Task<bool> MoveToQueueAsync(GroupId group, DeviceId device, DeviceId queue, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(WriteKeys.ForGroup(group.Value), async (connection, ct) =>
        {
            // Ordered with the group's commits: a commit reads the roster under the group's row lock.
            await connection.ExecuteAsync("SELECT 1 FROM groups WHERE group_id = $1 FOR UPDATE", [group.Value], ct);
            if (await connection.ExecuteAsync("UPDATE group_members SET device_id = $3 WHERE group_id = $1 AND device_id = $2",
                    [group.Value, device.Value, queue.Value], ct) == 0)
            {
                return false;
            }
            await connection.ExecuteAsync("INSERT INTO mailbox_heads (device_id) VALUES ($1) ON CONFLICT DO NOTHING", [queue.Value], ct);
            return true;
        }, cancellationToken);

    public async Task<IReadOnlySet<DeviceId>?> AdminDevicesAsync(GroupId group, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        if (await connection.ScalarAsync("SELECT 1 FROM channels WHERE group_id = $1", [group.Value], cancellationToken) is null)
        {
            return null;
        }
        var devices = await connection.QueryAsync(
            """
            SELECT m.device_id FROM group_members m
            JOIN devices d ON d.device_id = m.device_id
            JOIN channel_admins c ON c.group_id = m.group_id AND c.account_id = d.account_id
            WHERE m.group_id = $1
            """,
            [group.Value], static r => new DeviceId(r.GetString(0)), cancellationToken);
        return devices.ToHashSet();
    }

    public Task CreateInviteAsync(ChannelInvite invite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invite);
        return database.Writer.ExecuteAsync((connection, ct) => connection.ExecuteAsync(
            """
            INSERT INTO channel_invites (token_hash, invite_id, group_id, approval, expires_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            [invite.TokenHash, invite.InviteId, invite.Group.Value, invite.Approval,
                invite.ExpiresAt is { } x ? Pg.UnixSeconds(x) : null, Pg.UnixSeconds(invite.CreatedAt)], ct), cancellationToken);
    }

    public async Task<IReadOnlyList<ChannelInvite>> ListInvitesAsync(GroupId group, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync($"{InviteSelect} WHERE i.group_id = $1 ORDER BY i.created_at, i.invite_id",
            [group.Value], ReadInvite, cancellationToken);
    }

    public Task<bool> RevokeInviteAsync(GroupId group, string inviteId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
        {
            if (await connection.ExecuteAsync("DELETE FROM channel_invites WHERE group_id = $1 AND invite_id = $2",
                    [group.Value, inviteId], ct) == 0)
            {
                return false;
            }
            await connection.ExecuteAsync("DELETE FROM channel_join_requests WHERE group_id = $1 AND invite_id = $2", [group.Value, inviteId], ct);
            return true;
        }, cancellationToken);

    public async Task<ChannelInvite?> FindInviteAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await FindInviteAsync(connection, tokenHash, cancellationToken);
    }

    public Task<(JoinRequestOutcome Outcome, JoinRequest? Request)> CreateJoinRequestAsync(JoinRequest request, byte[] tokenHash,
        DateTimeOffset now, int maxPending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return database.Writer.ExecuteAsync<(JoinRequestOutcome, JoinRequest?)>(async (connection, ct) =>
        {
            ChannelInvite? invite = await FindInviteAsync(connection, tokenHash, ct);
            if (invite is null || invite.Group != request.Group)
            {
                return (JoinRequestOutcome.InviteNotFound, null);
            }
            if (invite.ExpiresAt <= now)
            {
                return (JoinRequestOutcome.InviteExpired, null);
            }
            if (await FindByKeyPackageAsync(connection, request, ct) is { } earlier)
            {
                return earlier.Queue == request.Queue ? (JoinRequestOutcome.Repeated, earlier) : (JoinRequestOutcome.KeyPackageTaken, null);
            }
            if (await IsMemberAsync(connection, request.Group.Value, request.Queue.Value, ct))
            {
                return (JoinRequestOutcome.AlreadyMember, null);
            }
            long pending = (long)(await connection.ScalarAsync(
                "SELECT count(*) FROM channel_join_requests WHERE group_id = $1 AND expires_at > $2",
                [request.Group.Value, Pg.UnixSeconds(now)], ct))!;
            if (pending >= maxPending)
            {
                return (JoinRequestOutcome.TooManyPending, null);
            }
            int inserted = await connection.ExecuteAsync(
                """
                INSERT INTO channel_join_requests (request_id, group_id, invite_id, queue_id, kp_ref, key_package, approval, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
                """,
                [request.RequestId, request.Group.Value, invite.InviteId, request.Queue.Value, request.KeyPackageRef, request.KeyPackage,
                    invite.Approval, Pg.UnixSeconds(request.ExpiresAt)], ct);
            if (inserted == 0)
            {
                // The same key package arrived on another node at the same moment.
                JoinRequest? raced = await FindByKeyPackageAsync(connection, request, ct);
                return raced is not null && raced.Queue == request.Queue
                    ? (JoinRequestOutcome.Repeated, raced)
                    : (JoinRequestOutcome.KeyPackageTaken, null);
            }
            return (JoinRequestOutcome.Created, request with { InviteId = invite.InviteId, Approval = invite.Approval });
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<JoinRequest>> ListPendingRequestsAsync(GroupId group, DateTimeOffset now, int limit,
        CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync(
            $"""
            SELECT {RequestColumns} FROM channel_join_requests
            WHERE group_id = $1 AND expires_at > $2 ORDER BY seq LIMIT $3
            """,
            [group.Value, Pg.UnixSeconds(now), limit], ReadRequest, cancellationToken);
    }

    public Task<bool> DenyRequestAsync(GroupId group, string requestId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "DELETE FROM channel_join_requests WHERE group_id = $1 AND request_id = $2", [group.Value, requestId], ct) > 0, cancellationToken);

    public async Task<JoinRequest?> FindRequestAsync(string requestId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var rows = await connection.QueryAsync(
            $"SELECT {RequestColumns} FROM channel_join_requests WHERE request_id = $1 AND expires_at > $2",
            [requestId, Pg.UnixSeconds(now)], ReadRequest, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<byte[]?> FindGroupInfoAsync(GroupId group, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.ScalarAsync("SELECT group_info FROM channel_group_infos WHERE group_id = $1", [group.Value], cancellationToken)
            as byte[];
    }

    public Task<bool> AddViewAsync(GroupId group, string messageId, byte[] tokenHash, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "INSERT INTO channel_views (group_id, message_id, token_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [group.Value, messageId, tokenHash], ct) > 0, cancellationToken);

    public async Task<long> CountViewsAsync(GroupId group, string messageId, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return (long)(await connection.ScalarAsync("SELECT count(*) FROM channel_views WHERE group_id = $1 AND message_id = $2",
            [group.Value, messageId], cancellationToken))!;
    }

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, TimeSpan grace, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
            await connection.ExecuteAsync("DELETE FROM channel_join_requests WHERE expires_at <= $1", [Pg.UnixSeconds(now)], ct)
            + await connection.ExecuteAsync("DELETE FROM channel_invites WHERE expires_at IS NOT NULL AND expires_at <= $1",
                [Pg.UnixSeconds(now - grace)], ct),
            cancellationToken);

    /// <summary>The channel facts the group rules need for <paramref name="submission"/>, read inside the submission's
    /// transaction (the join requests it fulfils are locked); null when the group is not a channel.</summary>
    internal static async Task<ChannelRuleFacts?> LoadRuleFactsAsync(NpgsqlConnection connection, GroupRoster roster,
        GroupSubmission submission, Func<byte[], (Proposal Proposal, uint SenderLeaf)?> findProposal, DateTimeOffset now, int maxMembers,
        CancellationToken cancellationToken)
    {
        string group = roster.Id.Value;
        var admins = (await connection.QueryAsync("SELECT account_id FROM channel_admins WHERE group_id = $1", [group],
            static r => new AccountId(r.GetString(0)), cancellationToken)).ToHashSet();
        if (admins.Count == 0)
        {
            return null;
        }
        bool senderIsAdmin = await connection.ScalarAsync("SELECT account_id FROM devices WHERE device_id = $1",
            [submission.Sender.Value], cancellationToken) is string account && admins.Contains(new AccountId(account));
        var (usernames, refs) = ChannelRuleFacts.Lookups(submission, roster.CipherSuite, findProposal);
        var accounts = new Dictionary<string, AccountId>(StringComparer.Ordinal);
        if (usernames.Count > 0)
        {
            foreach (var (username, id) in await connection.QueryAsync(
                         "SELECT username, account_id FROM usernames WHERE username = ANY($1)", [usernames.ToArray()],
                         static r => (r.GetString(0), r.GetString(1)), cancellationToken))
            {
                accounts[username] = new AccountId(id);
            }
        }
        var requesters = new Dictionary<string, DeviceId>(StringComparer.Ordinal);
        if (refs.Count > 0)
        {
            foreach (var (keyPackageRef, queue) in await connection.QueryAsync(
                         """
                         SELECT kp_ref, queue_id FROM channel_join_requests
                         WHERE group_id = $1 AND kp_ref = ANY($2) AND expires_at > $3
                         ORDER BY request_id
                         FOR UPDATE
                         """,
                         [group, refs.ToArray(), Pg.UnixSeconds(now)],
                         static r => ((byte[])r[0], r.GetString(1)), cancellationToken))
            {
                requesters[Convert.ToHexString(keyPackageRef)] = new DeviceId(queue);
            }
        }
        return new ChannelRuleFacts(admins, senderIsAdmin, accounts, requesters, maxMembers);
    }

    /// <summary>Applies an accepted commit's channel effects inside the group store's transaction.</summary>
    internal static async Task ApplyCommitAsync(NpgsqlConnection connection, GroupId group, ChannelEffects effects,
        CancellationToken cancellationToken)
    {
        if (effects.Admins is { } admins)
        {
            await connection.ExecuteAsync("DELETE FROM channel_admins WHERE group_id = $1", [group.Value], cancellationToken);
            for (int i = 0; i < admins.Count; i++)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO channel_admins (group_id, account_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    [group.Value, admins[i].Value, i], cancellationToken);
            }
        }
        // Answered: the Welcome in the joiner's queue is the answer, so nothing of the request stays.
        if (effects.JoinedKeyPackageRefs.Count > 0)
        {
            await connection.ExecuteAsync("DELETE FROM channel_join_requests WHERE group_id = $1 AND kp_ref = ANY($2)",
                [group.Value, effects.JoinedKeyPackageRefs.ToArray()], cancellationToken);
        }
    }

    /// <summary>Keeps the GroupInfo an accepted commit to a channel brought, for joining by external commit through an invite
    /// (docs/channels.md): only one that carries the ratchet tree and external_pub is of use; otherwise the stale one goes.</summary>
    internal static async Task SaveGroupInfoAsync(NpgsqlConnection connection, GroupId group, ulong epoch, GroupInfo? groupInfo,
        CancellationToken cancellationToken)
    {
        if (ChannelGroupInfo.Joinable(groupInfo) is { } bytes)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO channel_group_infos (group_id, epoch, group_info) VALUES ($1, $2, $3)
                ON CONFLICT (group_id) DO UPDATE SET epoch = excluded.epoch, group_info = excluded.group_info
                """,
                [group.Value, (long)epoch, bytes], cancellationToken);
        }
        else
        {
            await connection.ExecuteAsync("DELETE FROM channel_group_infos WHERE group_id = $1", [group.Value], cancellationToken);
        }
    }

    private static async Task<bool> IsMemberAsync(NpgsqlConnection connection, string group, string device, CancellationToken cancellationToken)
        => await connection.ScalarAsync("SELECT 1 FROM group_members WHERE group_id = $1 AND device_id = $2", [group, device],
            cancellationToken) is not null;

    private static async Task<ChannelInvite?> FindInviteAsync(NpgsqlConnection connection, byte[] tokenHash, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync($"{InviteSelect} WHERE i.token_hash = $1", [tokenHash],
            ReadInvite, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<JoinRequest?> FindByKeyPackageAsync(NpgsqlConnection connection, JoinRequest request,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync(
            $"SELECT {RequestColumns} FROM channel_join_requests WHERE group_id = $1 AND kp_ref = $2",
            [request.Group.Value, request.KeyPackageRef], ReadRequest, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    // The group's cipher suite comes along: a join request's key package must match it.
    private const string InviteSelect =
        "SELECT i.invite_id, i.group_id, i.token_hash, i.approval, i.expires_at, i.created_at, g.cipher_suite FROM channel_invites i JOIN groups g ON g.group_id = i.group_id";

    private static ChannelInvite ReadInvite(NpgsqlDataReader r)
        => new(r.GetString(0), new GroupId(r.GetString(1)), (byte[])r[2], r.GetBoolean(3),
            r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(5)),
            (ushort)r.GetInt32(6));

    private const string RequestColumns = "request_id, group_id, invite_id, queue_id, kp_ref, key_package, approval, expires_at";

    private static JoinRequest ReadRequest(NpgsqlDataReader r)
        => new(r.GetString(0), new GroupId(r.GetString(1)), r.GetString(2), new DeviceId(r.GetString(3)), (byte[])r[4], (byte[])r[5],
            r.GetBoolean(6), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(7)));
}
