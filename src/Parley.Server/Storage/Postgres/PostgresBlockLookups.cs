using Npgsql;
using Parley.Server.Accounts;
using Parley.Server.Blocking;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Storage.Postgres;

/// <summary>The block lookups the PostgreSQL group store makes inside a submission's write to apply <see cref="BlockRule"/>
/// (blocking itself is <see cref="Shared.SqlBlockStore"/>).</summary>
internal static class PostgresBlockLookups
{
    /// <summary>The account of <paramref name="device"/> and the accounts that block it, in one read inside the
    /// caller's transaction.</summary>
    internal static async Task<(AccountId? Account, List<AccountId> Blockers)> SenderAsync(NpgsqlConnection connection, DeviceId device,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync(
            """
            SELECT d.account_id, b.blocker_account FROM devices d
            LEFT JOIN blocks b ON b.blocked_account = d.account_id
            WHERE d.device_id = $1
            """,
            [device.Value], static r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)), cancellationToken);
        if (rows.Count == 0)
        {
            return (null, []);
        }
        return (new AccountId(rows[0].Item1), rows.Where(r => r.Item2 is not null).Select(r => new AccountId(r.Item2!)).ToList());
    }

    /// <summary>Applies <see cref="BlockRule"/> to a decided submission. Reads more than the sender's row only when
    /// someone blocks the sender, which is rare.</summary>
    internal static async Task<(IReadOnlyList<DeviceId> Messages, IReadOnlyList<DeviceId> Welcomes)> WithholdAsync(
        NpgsqlConnection connection, GroupRoster roster, GroupMessageKind kind, AccountId? sender, List<AccountId> blockers,
        IReadOnlyList<DeviceId> messageRecipients, IReadOnlyList<DeviceId> welcomeRecipients, CancellationToken cancellationToken)
    {
        if (sender is not { } senderAccount || blockers.Count == 0)
        {
            return (messageRecipients, welcomeRecipients);
        }
        string[] devices = roster.Members.Values.Concat(welcomeRecipients).Select(d => d.Value).Distinct().ToArray();
        var accountOf = (await connection.QueryAsync("SELECT device_id, account_id FROM devices WHERE device_id = ANY($1)",
                [devices], static r => (new DeviceId(r.GetString(0)), new AccountId(r.GetString(1))), cancellationToken))
            .ToDictionary(p => p.Item1, p => p.Item2);
        return BlockRule.Apply(roster, kind, senderAccount, blockers, messageRecipients, welcomeRecipients, accountOf);
    }

    /// <summary>Applies <see cref="BlockRule.ApplySealed"/> to a sealed send: the roster's accounts and the blocks among them
    /// in one read, skipped for rosters too large to be a 1:1.</summary>
    internal static async Task<IReadOnlyList<DeviceId>> WithholdSealedAsync(NpgsqlConnection connection, GroupRoster roster,
        IReadOnlyList<DeviceId> messageRecipients, int maxDevicesPerAccount, CancellationToken cancellationToken)
    {
        if (!BlockRule.MayBeOneToOne(roster, maxDevicesPerAccount))
        {
            return messageRecipients;
        }
        string[] devices = roster.Members.Values.Select(d => d.Value).ToArray();
        var rows = await connection.QueryAsync(
            """
            SELECT d.device_id, d.account_id, b.blocked_account FROM devices d
            LEFT JOIN blocks b ON b.blocker_account = d.account_id
              AND b.blocked_account IN (SELECT account_id FROM devices WHERE device_id = ANY($1))
            WHERE d.device_id = ANY($1)
            """,
            [devices], static r => (new DeviceId(r.GetString(0)), new AccountId(r.GetString(1)), r.IsDBNull(2) ? (AccountId?)null : new AccountId(r.GetString(2))),
            cancellationToken);
        var blocks = rows.Where(r => r.Item3 is not null).Select(r => (r.Item2, r.Item3!.Value)).Distinct().ToList();
        if (blocks.Count == 0)
        {
            return messageRecipients;
        }
        var accountOf = rows.DistinctBy(r => r.Item1).ToDictionary(r => r.Item1, r => r.Item2);
        return BlockRule.ApplySealed(roster, messageRecipients, accountOf, blocks);
    }
}
