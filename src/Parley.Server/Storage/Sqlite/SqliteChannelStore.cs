using Microsoft.Data.Sqlite;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Private channels in SQLite. Writes go through the single writer, so registering, joining and the admin
/// changes made by commits (<see cref="ApplyCommit"/>, called from the group store's transaction) never interleave.</summary>
internal sealed class SqliteChannelStore(SqliteDatabase database) : IChannelStore
{
    public Task<RegisterChannelOutcome> RegisterAsync(GroupId group, DeviceId caller, AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            var members = connection.Query(
                """
                SELECT m.device_id, d.account_id FROM group_members m LEFT JOIN devices d ON d.device_id = m.device_id
                WHERE m.group_id = $g
                """,
                static r => (Device: r.GetString(0), Account: r.IsDBNull(1) ? null : r.GetString(1)), ("$g", group.Value));
            // Membership first: to anyone outside, a channel looks like any group they are not in.
            if (!members.Any(m => m.Device == caller.Value))
            {
                return RegisterChannelOutcome.NotMember;
            }
            if (connection.Scalar("SELECT 1 FROM channels WHERE group_id = $g", ("$g", group.Value)) is not null)
            {
                return RegisterChannelOutcome.AlreadyChannel;
            }
            if (members.Any(m => m.Account != account.Value))
            {
                return RegisterChannelOutcome.OtherMembers;
            }
            connection.Execute("INSERT INTO channels (group_id) VALUES ($g)", ("$g", group.Value));
            connection.Execute("INSERT INTO channel_admins (group_id, account_id, position) VALUES ($g, $a, 0)",
                ("$g", group.Value), ("$a", account.Value));
            return RegisterChannelOutcome.Registered;
        }, cancellationToken);

    public Task<ChannelInfo?> FindAsync(GroupId group, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        var admins = connection.Query(
            """
            SELECT c.account_id, a.username FROM channel_admins c JOIN accounts a ON a.account_id = c.account_id
            WHERE c.group_id = $g ORDER BY c.position
            """,
            static r => (Account: new AccountId(r.GetString(0)), Username: r.GetString(1)), ("$g", group.Value));
        if (admins.Count == 0)
        {
            return Task.FromResult<ChannelInfo?>(null);
        }
        long subscribers = (long)connection.Scalar(
            """
            SELECT count(*) FROM group_members m LEFT JOIN devices d ON d.device_id = m.device_id
            WHERE m.group_id = $g
              AND NOT EXISTS (SELECT 1 FROM channel_admins c WHERE c.group_id = $g AND c.account_id = d.account_id)
            """,
            ("$g", group.Value))!;
        return Task.FromResult<ChannelInfo?>(new ChannelInfo(group, admins.Select(a => a.Account).ToList(),
            admins.Select(a => a.Username).ToList(), (int)subscribers));
    }

    public Task<IReadOnlyList<AccountId>?> AdminsAsync(GroupId group, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        var admins = connection.Query("SELECT account_id FROM channel_admins WHERE group_id = $g ORDER BY position",
            static r => new AccountId(r.GetString(0)), ("$g", group.Value));
        return Task.FromResult<IReadOnlyList<AccountId>?>(admins.Count == 0 ? null : admins);
    }

    public Task<bool> IsMemberAsync(GroupId group, DeviceId device, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(IsMember(connection, group.Value, device.Value));
    }

    public Task<bool> MoveToQueueAsync(GroupId group, DeviceId device, DeviceId queue, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "UPDATE group_members SET device_id = $q WHERE group_id = $g AND device_id = $d",
            ("$q", queue.Value), ("$g", group.Value), ("$d", device.Value)) > 0, cancellationToken);

    public Task<IReadOnlySet<DeviceId>?> AdminDevicesAsync(GroupId group, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        if (connection.Scalar("SELECT 1 FROM channels WHERE group_id = $g", ("$g", group.Value)) is null)
        {
            return Task.FromResult<IReadOnlySet<DeviceId>?>(null);
        }
        var devices = connection.Query(
            """
            SELECT m.device_id FROM group_members m
            JOIN devices d ON d.device_id = m.device_id
            JOIN channel_admins c ON c.group_id = m.group_id AND c.account_id = d.account_id
            WHERE m.group_id = $g
            """,
            static r => new DeviceId(r.GetString(0)), ("$g", group.Value));
        return Task.FromResult<IReadOnlySet<DeviceId>?>(devices.ToHashSet());
    }

    public Task CreateInviteAsync(ChannelInvite invite, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invite);
        return database.Writer.ExecuteAsync(connection => connection.Execute(
            """
            INSERT INTO channel_invites (token_hash, invite_id, group_id, approval, expires_at, created_at)
            VALUES ($h, $i, $g, $a, $x, $c)
            """,
            ("$h", invite.TokenHash), ("$i", invite.InviteId), ("$g", invite.Group.Value), ("$a", invite.Approval ? 1 : 0),
            ("$x", invite.ExpiresAt is { } x ? Sql.UnixSeconds(x) : null), ("$c", Sql.UnixSeconds(invite.CreatedAt))), cancellationToken);
    }

    public Task<IReadOnlyList<ChannelInvite>> ListInvitesAsync(GroupId group, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<ChannelInvite> invites = connection.Query(
            $"{InviteSelect} WHERE i.group_id = $g ORDER BY i.created_at, i.invite_id", ReadInvite,
            ("$g", group.Value));
        return Task.FromResult(invites);
    }

    public Task<bool> RevokeInviteAsync(GroupId group, string inviteId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            if (connection.Execute("DELETE FROM channel_invites WHERE group_id = $g AND invite_id = $i",
                    ("$g", group.Value), ("$i", inviteId)) == 0)
            {
                return false;
            }
            connection.Execute("DELETE FROM channel_join_requests WHERE group_id = $g AND invite_id = $i", ("$g", group.Value), ("$i", inviteId));
            return true;
        }, cancellationToken);

    public Task<ChannelInvite?> FindInviteAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(FindInvite(connection, tokenHash));
    }

    public Task<(JoinRequestOutcome Outcome, JoinRequest? Request)> CreateJoinRequestAsync(JoinRequest request, byte[] tokenHash,
        DateTimeOffset now, int maxPending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return database.Writer.ExecuteAsync<(JoinRequestOutcome, JoinRequest?)>(connection =>
        {
            ChannelInvite? invite = FindInvite(connection, tokenHash);
            if (invite is null || invite.Group != request.Group)
            {
                return (JoinRequestOutcome.InviteNotFound, null);
            }
            if (invite.ExpiresAt <= now)
            {
                return (JoinRequestOutcome.InviteExpired, null);
            }
            var earlier = connection.Query($"SELECT {RequestColumns} FROM channel_join_requests WHERE group_id = $g AND kp_ref = $r",
                ReadRequest, ("$g", request.Group.Value), ("$r", request.KeyPackageRef));
            if (earlier.Count > 0)
            {
                return earlier[0].Queue == request.Queue ? (JoinRequestOutcome.Repeated, earlier[0]) : (JoinRequestOutcome.KeyPackageTaken, null);
            }
            if (IsMember(connection, request.Group.Value, request.Queue.Value))
            {
                return (JoinRequestOutcome.AlreadyMember, null);
            }
            long pending = (long)connection.Scalar(
                "SELECT count(*) FROM channel_join_requests WHERE group_id = $g AND expires_at > $now",
                ("$g", request.Group.Value), ("$now", Sql.UnixSeconds(now)))!;
            if (pending >= maxPending)
            {
                return (JoinRequestOutcome.TooManyPending, null);
            }
            connection.Execute(
                """
                INSERT INTO channel_join_requests (request_id, group_id, invite_id, queue_id, kp_ref, key_package, approval, expires_at)
                VALUES ($id, $g, $i, $q, $r, $k, $a, $x)
                """,
                ("$id", request.RequestId), ("$g", request.Group.Value), ("$i", invite.InviteId), ("$q", request.Queue.Value),
                ("$r", request.KeyPackageRef), ("$k", request.KeyPackage), ("$a", invite.Approval ? 1 : 0), ("$x", Sql.UnixSeconds(request.ExpiresAt)));
            return (JoinRequestOutcome.Created, request with { InviteId = invite.InviteId, Approval = invite.Approval });
        }, cancellationToken);
    }

    public Task<IReadOnlyList<JoinRequest>> ListPendingRequestsAsync(GroupId group, DateTimeOffset now, int limit,
        CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<JoinRequest> requests = connection.Query(
            $"""
            SELECT {RequestColumns} FROM channel_join_requests
            WHERE group_id = $g AND expires_at > $now ORDER BY rowid LIMIT $limit
            """,
            ReadRequest, ("$g", group.Value), ("$now", Sql.UnixSeconds(now)), ("$limit", limit));
        return Task.FromResult(requests);
    }

    public Task<bool> DenyRequestAsync(GroupId group, string requestId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "DELETE FROM channel_join_requests WHERE group_id = $g AND request_id = $id", ("$g", group.Value), ("$id", requestId)) > 0,
            cancellationToken);

    public Task<JoinRequest?> FindRequestAsync(string requestId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        var rows = connection.Query($"SELECT {RequestColumns} FROM channel_join_requests WHERE request_id = $id AND expires_at > $now",
            ReadRequest, ("$id", requestId), ("$now", Sql.UnixSeconds(now)));
        return Task.FromResult(rows.Count == 0 ? null : rows[0]);
    }

    public Task<byte[]?> FindGroupInfoAsync(GroupId group, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(connection.Scalar("SELECT group_info FROM channel_group_infos WHERE group_id = $g", ("$g", group.Value)) as byte[]);
    }

    public Task<bool> AddViewAsync(GroupId group, string messageId, byte[] tokenHash, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "INSERT OR IGNORE INTO channel_views (group_id, message_id, token_hash) VALUES ($g, $m, $h)",
            ("$g", group.Value), ("$m", messageId), ("$h", tokenHash)) > 0, cancellationToken);

    public Task<long> CountViewsAsync(GroupId group, string messageId, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult((long)connection.Scalar("SELECT count(*) FROM channel_views WHERE group_id = $g AND message_id = $m",
            ("$g", group.Value), ("$m", messageId))!);
    }

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, TimeSpan grace, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
            connection.Execute("DELETE FROM channel_join_requests WHERE expires_at <= $now", ("$now", Sql.UnixSeconds(now)))
            + connection.Execute("DELETE FROM channel_invites WHERE expires_at IS NOT NULL AND expires_at <= $cutoff",
                ("$cutoff", Sql.UnixSeconds(now - grace))),
            cancellationToken);

    /// <summary>The channel facts the group rules need for <paramref name="submission"/>, read on the writer's connection
    /// inside the submission's transaction; null when the group is not a channel (one indexed lookup).</summary>
    internal static ChannelRuleFacts? LoadRuleFacts(SqliteConnection connection, GroupRoster roster, GroupSubmission submission,
        Func<byte[], (Proposal Proposal, uint SenderLeaf)?> findProposal, DateTimeOffset now, int maxMembers)
    {
        string group = roster.Id.Value;
        var admins = connection.Query("SELECT account_id FROM channel_admins WHERE group_id = $g",
            static r => new AccountId(r.GetString(0)), ("$g", group)).ToHashSet();
        if (admins.Count == 0)
        {
            return null;
        }
        bool senderIsAdmin = connection.Scalar("SELECT account_id FROM devices WHERE device_id = $d", ("$d", submission.Sender.Value))
            is string account && admins.Contains(new AccountId(account));
        var (usernames, refs) = ChannelRuleFacts.Lookups(submission, roster.CipherSuite, findProposal);
        var accounts = new Dictionary<string, AccountId>(StringComparer.Ordinal);
        foreach (string username in usernames)
        {
            if (connection.Scalar("SELECT account_id FROM accounts WHERE username = $u", ("$u", username)) is string id)
            {
                accounts[username] = new AccountId(id);
            }
        }
        var requesters = new Dictionary<string, DeviceId>(StringComparer.Ordinal);
        foreach (byte[] keyPackageRef in refs)
        {
            if (connection.Scalar("SELECT queue_id FROM channel_join_requests WHERE group_id = $g AND kp_ref = $r AND expires_at > $now",
                    ("$g", group), ("$r", keyPackageRef), ("$now", Sql.UnixSeconds(now))) is string queue)
            {
                requesters[Convert.ToHexString(keyPackageRef)] = new DeviceId(queue);
            }
        }
        return new ChannelRuleFacts(admins, senderIsAdmin, accounts, requesters, maxMembers);
    }

    /// <summary>Applies an accepted commit's channel effects inside the group store's transaction: the new admin set,
    /// and the join requests it fulfilled (their key packages are no longer needed).</summary>
    internal static void ApplyCommit(SqliteConnection connection, GroupId group, ChannelEffects effects)
    {
        if (effects.Admins is { } admins)
        {
            connection.Execute("DELETE FROM channel_admins WHERE group_id = $g", ("$g", group.Value));
            for (int i = 0; i < admins.Count; i++)
            {
                connection.Execute("INSERT OR IGNORE INTO channel_admins (group_id, account_id, position) VALUES ($g, $a, $p)",
                    ("$g", group.Value), ("$a", admins[i].Value), ("$p", i));
            }
        }
        // Answered: the Welcome in the joiner's queue is the answer, so nothing of the request stays.
        foreach (byte[] keyPackageRef in effects.JoinedKeyPackageRefs)
        {
            connection.Execute("DELETE FROM channel_join_requests WHERE group_id = $g AND kp_ref = $r", ("$g", group.Value), ("$r", keyPackageRef));
        }
    }

    /// <summary>Keeps the GroupInfo an accepted commit to a channel brought, for joining by external commit through an invite
    /// (docs/channels.md): only one that carries the ratchet tree and external_pub is of use; otherwise the stale one goes.</summary>
    internal static void SaveGroupInfo(SqliteConnection connection, GroupId group, ulong epoch, GroupInfo? groupInfo)
    {
        if (ChannelGroupInfo.Joinable(groupInfo) is { } bytes)
        {
            connection.Execute(
                """
                INSERT INTO channel_group_infos (group_id, epoch, group_info) VALUES ($g, $e, $i)
                ON CONFLICT (group_id) DO UPDATE SET epoch = excluded.epoch, group_info = excluded.group_info
                """,
                ("$g", group.Value), ("$e", (long)epoch), ("$i", bytes));
        }
        else
        {
            connection.Execute("DELETE FROM channel_group_infos WHERE group_id = $g", ("$g", group.Value));
        }
    }

    private static bool IsMember(SqliteConnection connection, string group, string device)
        => connection.Scalar("SELECT 1 FROM group_members WHERE device_id = $d AND group_id = $g", ("$d", device), ("$g", group)) is not null;

    private static ChannelInvite? FindInvite(SqliteConnection connection, byte[] tokenHash)
    {
        var rows = connection.Query($"{InviteSelect} WHERE i.token_hash = $h", ReadInvite, ("$h", tokenHash));
        return rows.Count == 0 ? null : rows[0];
    }

    // The group's cipher suite comes along: a join request's key package must match it.
    private const string InviteSelect =
        "SELECT i.invite_id, i.group_id, i.token_hash, i.approval, i.expires_at, i.created_at, g.cipher_suite FROM channel_invites i JOIN groups g ON g.group_id = i.group_id";

    private static ChannelInvite ReadInvite(SqliteDataReader r)
        => new(r.GetString(0), new GroupId(r.GetString(1)), (byte[])r[2], r.GetInt64(3) != 0,
            r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(5)),
            (ushort)r.GetInt32(6));

    private const string RequestColumns = "request_id, group_id, invite_id, queue_id, kp_ref, key_package, approval, expires_at";

    private static JoinRequest ReadRequest(SqliteDataReader r)
        => new(r.GetString(0), new GroupId(r.GetString(1)), r.GetString(2), new DeviceId(r.GetString(3)), (byte[])r[4], (byte[])r[5],
            r.GetInt64(6) != 0, DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(7)));
}
