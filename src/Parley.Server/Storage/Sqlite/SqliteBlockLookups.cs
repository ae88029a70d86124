using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Blocking;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The block lookups the SQLite group store makes inside a submission's write to apply <see cref="BlockRule"/>
/// (blocking itself is <see cref="Shared.SqlBlockStore"/>).</summary>
internal static class SqliteBlockLookups
{
    /// <summary>The account of <paramref name="device"/>, read inside the caller's transaction.</summary>
    internal static AccountId? AccountOf(SqliteConnection connection, DeviceId device)
        => connection.Scalar("SELECT account_id FROM devices WHERE device_id = $d", ("$d", device.Value)) is string account
            ? new AccountId(account)
            : null;

    /// <summary>Applies <see cref="BlockRule"/> to a decided submission inside its write. Costs one indexed
    /// lookup when nobody blocks the sender, which is almost always.</summary>
    internal static (IReadOnlyList<DeviceId> Messages, IReadOnlyList<DeviceId> Welcomes) Withhold(SqliteConnection connection,
        GroupRoster roster, GroupMessageKind kind, AccountId? sender, IReadOnlyList<DeviceId> messageRecipients,
        IReadOnlyList<DeviceId> welcomeRecipients)
    {
        if (sender is not { } senderAccount)
        {
            return (messageRecipients, welcomeRecipients);
        }
        List<AccountId> blockers = connection.Query("SELECT blocker_account FROM blocks WHERE blocked_account = $b",
            static r => new AccountId(r.GetString(0)), ("$b", senderAccount.Value));
        if (blockers.Count == 0)
        {
            return (messageRecipients, welcomeRecipients);
        }
        var accountOf = new Dictionary<DeviceId, AccountId>();
        foreach (DeviceId device in roster.Members.Values.Concat(welcomeRecipients).Distinct())
        {
            if (AccountOf(connection, device) is { } account)
            {
                accountOf[device] = account;
            }
        }
        return BlockRule.Apply(roster, kind, senderAccount, blockers, messageRecipients, welcomeRecipients, accountOf);
    }

    /// <summary>Applies <see cref="BlockRule.ApplySealed"/> to a sealed send inside its write: one query for the blocks among
    /// the roster's accounts (none, almost always), and the accounts of its devices only when there is one.</summary>
    internal static IReadOnlyList<DeviceId> WithholdSealed(SqliteConnection connection, GroupRoster roster, IReadOnlyList<DeviceId> messageRecipients,
        int maxDevicesPerAccount)
    {
        if (!BlockRule.MayBeOneToOne(roster, maxDevicesPerAccount))
        {
            return messageRecipients;
        }
        var blocks = connection.Query(
            """
            SELECT b.blocker_account, b.blocked_account FROM blocks b
            WHERE b.blocker_account IN (SELECT d.account_id FROM group_members m JOIN devices d ON d.device_id = m.device_id WHERE m.group_id = $g)
              AND b.blocked_account IN (SELECT d.account_id FROM group_members m JOIN devices d ON d.device_id = m.device_id WHERE m.group_id = $g)
            """,
            static r => (new AccountId(r.GetString(0)), new AccountId(r.GetString(1))), ("$g", roster.Id.Value));
        if (blocks.Count == 0)
        {
            return messageRecipients;
        }
        var accountOf = new Dictionary<DeviceId, AccountId>();
        foreach (DeviceId device in roster.Members.Values)
        {
            if (AccountOf(connection, device) is { } account)
            {
                accountOf[device] = account;
            }
        }
        return BlockRule.ApplySealed(roster, messageRecipients, accountOf, blocks);
    }
}
