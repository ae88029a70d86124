using Npgsql;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>The channel reads and writes of the PostgreSQL group store's submission path, inside a commit's write (the
/// rest of the channel store is <see cref="Shared.SqlChannelStore"/>).</summary>
internal static class PostgresChannelRules
{
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
}
