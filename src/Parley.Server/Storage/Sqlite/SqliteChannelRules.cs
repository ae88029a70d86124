using Microsoft.Data.Sqlite;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Channels;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The channel reads and writes of the SQLite group store's submission path, inside a commit's write (the
/// rest of the channel store is <see cref="Shared.SqlChannelStore"/>).</summary>
internal static class SqliteChannelRules
{
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
}
