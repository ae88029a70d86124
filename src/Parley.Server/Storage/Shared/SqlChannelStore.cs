using System.Data.Common;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Storage.Shared;

/// <summary>Private channels. Registering reads (and, where the engine locks rows, locks) the group's row first, so it is
/// ordered with the group's commits. What a commit to a channel reads and changes inside its write is each engine's
/// submission path (<c>SqliteChannelRules</c>, <c>PostgresChannelRules</c>).</summary>
internal sealed class SqlChannelStore(SqlEngine engine) : IChannelStore
{
    // The group's cipher suite comes along: a join request's key package must match it.
    private const string InviteSelect =
        "SELECT i.invite_id, i.group_id, i.token_hash, i.approval, i.expires_at, i.created_at, g.cipher_suite FROM channel_invites i JOIN groups g ON g.group_id = i.group_id";

    private const string RequestColumns = "request_id, group_id, invite_id, queue_id, kp_ref, key_package, approval, expires_at";

    public Task<RegisterChannelOutcome> RegisterAsync(GroupId group, DeviceId caller, AccountId account, CancellationToken cancellationToken)
        => engine.WriteAsync(WriteKeys.ForGroup(group.Value), async db =>
        {
            if (await db.ScalarAsync("SELECT 1 FROM groups WHERE group_id = $1" + db.Dialect.ForUpdate, group.Value) is null)
            {
                return RegisterChannelOutcome.NotMember;
            }
            var members = await db.QueryAsync(
                """
                SELECT m.device_id, d.account_id FROM group_members m LEFT JOIN devices d ON d.device_id = m.device_id
                WHERE m.group_id = $1
                """,
                static r => (Device: r.GetString(0), Account: r.IsDBNull(1) ? null : r.GetString(1)), group.Value);
            // Membership first: to anyone outside, a channel looks like any group they are not in.
            if (!members.Any(m => m.Device == caller.Value))
            {
                return RegisterChannelOutcome.NotMember;
            }
            if (await db.ScalarAsync("SELECT 1 FROM channels WHERE group_id = $1", group.Value) is not null)
            {
                return RegisterChannelOutcome.AlreadyChannel;
            }
            if (members.Any(m => m.Account != account.Value))
            {
                return RegisterChannelOutcome.OtherMembers;
            }
            await db.ExecuteAsync("INSERT INTO channels (group_id) VALUES ($1)", group.Value);
            await db.ExecuteAsync("INSERT INTO channel_admins (group_id, account_id, position) VALUES ($1, $2, 0)", group.Value, account.Value);
            return RegisterChannelOutcome.Registered;
        }, cancellationToken);

    public Task<ChannelInfo?> FindAsync(GroupId group, CancellationToken cancellationToken)
        => engine.ReadAsync(async db =>
        {
            var admins = await db.QueryAsync(
                """
                SELECT c.account_id, a.username FROM channel_admins c JOIN accounts a ON a.account_id = c.account_id
                WHERE c.group_id = $1 ORDER BY c.position
                """,
                static r => (Account: new AccountId(r.GetString(0)), Username: r.GetString(1)), group.Value);
            if (admins.Count == 0)
            {
                return null;
            }
            long subscribers = Db.Integer(await db.ScalarAsync(
                """
                SELECT COUNT(*) FROM group_members m LEFT JOIN devices d ON d.device_id = m.device_id
                WHERE m.group_id = $1
                  AND NOT EXISTS (SELECT 1 FROM channel_admins c WHERE c.group_id = $1 AND c.account_id = d.account_id)
                """,
                group.Value));
            return new ChannelInfo(group, admins.Select(a => a.Account).ToList(), admins.Select(a => a.Username).ToList(), (int)subscribers);
        }, cancellationToken);

    public Task<IReadOnlyList<AccountId>?> AdminsAsync(GroupId group, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<AccountId>?>(async db =>
        {
            var admins = await db.QueryAsync("SELECT account_id FROM channel_admins WHERE group_id = $1 ORDER BY position",
                static r => new AccountId(r.GetString(0)), group.Value);
            return admins.Count == 0 ? null : admins;
        }, cancellationToken);

    public Task<bool> IsMemberAsync(GroupId group, DeviceId device, CancellationToken cancellationToken)
        => engine.ReadAsync(db => IsMemberAsync(db, group.Value, device.Value), cancellationToken);

    public Task<bool> MoveToQueueAsync(GroupId group, DeviceId device, DeviceId queue, CancellationToken cancellationToken)
        => engine.WriteAsync(WriteKeys.ForGroup(group.Value), async db =>
        {
            // Ordered with the group's commits: a commit reads the roster under the group's row lock.
            await db.ExecuteAsync("SELECT 1 FROM groups WHERE group_id = $1" + db.Dialect.ForUpdate, group.Value);
            if (await db.ExecuteAsync("UPDATE group_members SET device_id = $3 WHERE group_id = $1 AND device_id = $2",
                    group.Value, device.Value, queue.Value) == 0)
            {
                return false;
            }
            await SqlDeviceStore.AddMailboxHeadAsync(db, queue.Value);
            return true;
        }, cancellationToken);

    public Task<IReadOnlySet<DeviceId>?> AdminDevicesAsync(GroupId group, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlySet<DeviceId>?>(async db =>
        {
            if (await db.ScalarAsync("SELECT 1 FROM channels WHERE group_id = $1", group.Value) is null)
            {
                return null;
            }
            var devices = await db.QueryAsync(
                """
                SELECT m.device_id FROM group_members m
                JOIN devices d ON d.device_id = m.device_id
                JOIN channel_admins c ON c.group_id = m.group_id AND c.account_id = d.account_id
                WHERE m.group_id = $1
                """,
                static r => new DeviceId(r.GetString(0)), group.Value);
            return devices.ToHashSet();
        }, cancellationToken);

    public Task CreateInviteAsync(ChannelInvite invite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invite);
        return engine.WriteAsync(async db => await db.ExecuteAsync(
            """
            INSERT INTO channel_invites (token_hash, invite_id, group_id, approval, expires_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            invite.TokenHash, invite.InviteId, invite.Group.Value, invite.Approval,
            invite.ExpiresAt is { } x ? Db.UnixSeconds(x) : null, Db.UnixSeconds(invite.CreatedAt)), cancellationToken);
    }

    public Task<IReadOnlyList<ChannelInvite>> ListInvitesAsync(GroupId group, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<ChannelInvite>>(async db => await db.QueryAsync(
            $"{InviteSelect} WHERE i.group_id = $1 ORDER BY i.created_at, i.invite_id", ReadInvite, group.Value), cancellationToken);

    public Task<bool> RevokeInviteAsync(GroupId group, string inviteId, CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
        {
            if (await db.ExecuteAsync("DELETE FROM channel_invites WHERE group_id = $1 AND invite_id = $2", group.Value, inviteId) == 0)
            {
                return false;
            }
            await db.ExecuteAsync("DELETE FROM channel_join_requests WHERE group_id = $1 AND invite_id = $2", group.Value, inviteId);
            return true;
        }, cancellationToken);

    public Task<ChannelInvite?> FindInviteAsync(byte[] tokenHash, CancellationToken cancellationToken)
        => engine.ReadAsync(db => FindInviteAsync(db, tokenHash), cancellationToken);

    public Task<(JoinRequestOutcome Outcome, JoinRequest? Request)> CreateJoinRequestAsync(JoinRequest request, byte[] tokenHash,
        DateTimeOffset now, int maxPending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return engine.WriteAsync<(JoinRequestOutcome, JoinRequest?)>(async db =>
        {
            ChannelInvite? invite = await FindInviteAsync(db, tokenHash);
            if (invite is null || invite.Group != request.Group)
            {
                return (JoinRequestOutcome.InviteNotFound, null);
            }
            if (invite.ExpiresAt <= now)
            {
                return (JoinRequestOutcome.InviteExpired, null);
            }
            if (await FindByKeyPackageAsync(db, request) is { } earlier)
            {
                return earlier.Queue == request.Queue ? (JoinRequestOutcome.Repeated, earlier) : (JoinRequestOutcome.KeyPackageTaken, null);
            }
            if (await IsMemberAsync(db, request.Group.Value, request.Queue.Value))
            {
                return (JoinRequestOutcome.AlreadyMember, null);
            }
            long pending = Db.Integer(await db.ScalarAsync(
                "SELECT COUNT(*) FROM channel_join_requests WHERE group_id = $1 AND expires_at > $2",
                request.Group.Value, Db.UnixSeconds(now)));
            if (pending >= maxPending)
            {
                return (JoinRequestOutcome.TooManyPending, null);
            }
            int inserted = await db.ExecuteAsync(
                """
                INSERT INTO channel_join_requests (request_id, group_id, invite_id, queue_id, kp_ref, key_package, approval, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
                """,
                request.RequestId, request.Group.Value, invite.InviteId, request.Queue.Value, request.KeyPackageRef, request.KeyPackage,
                invite.Approval, Db.UnixSeconds(request.ExpiresAt));
            if (inserted == 0)
            {
                // The same key package arrived on another node at the same moment.
                JoinRequest? raced = await FindByKeyPackageAsync(db, request);
                return raced is not null && raced.Queue == request.Queue
                    ? (JoinRequestOutcome.Repeated, raced)
                    : (JoinRequestOutcome.KeyPackageTaken, null);
            }
            return (JoinRequestOutcome.Created, request with { InviteId = invite.InviteId, Approval = invite.Approval });
        }, cancellationToken);
    }

    public Task<IReadOnlyList<JoinRequest>> ListPendingRequestsAsync(GroupId group, DateTimeOffset now, int limit,
        CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<JoinRequest>>(async db => await db.QueryAsync(
            $"""
            SELECT {RequestColumns} FROM channel_join_requests
            WHERE group_id = $1 AND expires_at > $2 ORDER BY {db.Dialect.InsertionOrder("seq")} LIMIT $3
            """,
            ReadRequest, group.Value, Db.UnixSeconds(now), limit), cancellationToken);

    public Task<bool> DenyRequestAsync(GroupId group, string requestId, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "DELETE FROM channel_join_requests WHERE group_id = $1 AND request_id = $2", group.Value, requestId) > 0, cancellationToken);

    public Task<JoinRequest?> FindRequestAsync(string requestId, DateTimeOffset now, CancellationToken cancellationToken)
        => engine.ReadAsync(db => db.FirstAsync(
            $"SELECT {RequestColumns} FROM channel_join_requests WHERE request_id = $1 AND expires_at > $2",
            ReadRequest, requestId, Db.UnixSeconds(now)), cancellationToken);

    public Task<byte[]?> FindGroupInfoAsync(GroupId group, CancellationToken cancellationToken)
        => engine.ReadAsync(async db => await db.ScalarAsync("SELECT group_info FROM channel_group_infos WHERE group_id = $1", group.Value)
            as byte[], cancellationToken);

    public Task<bool> AddViewAsync(GroupId group, string messageId, byte[] tokenHash, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "INSERT INTO channel_views (group_id, message_id, token_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            group.Value, messageId, tokenHash) > 0, cancellationToken);

    public Task<long> CountViewsAsync(GroupId group, string messageId, CancellationToken cancellationToken)
        => engine.ReadAsync(async db => Db.Integer(await db.ScalarAsync(
            "SELECT COUNT(*) FROM channel_views WHERE group_id = $1 AND message_id = $2", group.Value, messageId)), cancellationToken);

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, TimeSpan grace, CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
            await db.ExecuteAsync("DELETE FROM channel_join_requests WHERE expires_at <= $1", Db.UnixSeconds(now))
            + await db.ExecuteAsync("DELETE FROM channel_invites WHERE expires_at IS NOT NULL AND expires_at <= $1",
                Db.UnixSeconds(now - grace)),
            cancellationToken);

    private static async ValueTask<bool> IsMemberAsync(Db db, string group, string device)
        => await db.ScalarAsync("SELECT 1 FROM group_members WHERE group_id = $1 AND device_id = $2", group, device) is not null;

    private static ValueTask<ChannelInvite?> FindInviteAsync(Db db, byte[] tokenHash)
        => db.FirstAsync($"{InviteSelect} WHERE i.token_hash = $1", ReadInvite, tokenHash);

    private static ValueTask<JoinRequest?> FindByKeyPackageAsync(Db db, JoinRequest request)
        => db.FirstAsync($"SELECT {RequestColumns} FROM channel_join_requests WHERE group_id = $1 AND kp_ref = $2",
            ReadRequest, request.Group.Value, request.KeyPackageRef);

    private static ChannelInvite ReadInvite(DbDataReader r)
        => new(r.GetString(0), new GroupId(r.GetString(1)), (byte[])r[2], r.GetBoolean(3),
            r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(5)),
            (ushort)r.GetInt32(6));

    private static JoinRequest ReadRequest(DbDataReader r)
        => new(r.GetString(0), new GroupId(r.GetString(1)), r.GetString(2), new DeviceId(r.GetString(3)), (byte[])r[4], (byte[])r[5],
            r.GetBoolean(6), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(7)));
}
