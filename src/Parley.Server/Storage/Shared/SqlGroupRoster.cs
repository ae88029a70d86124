using Parley.Server.Groups;

namespace Parley.Server.Storage.Shared;

/// <summary>How an accepted commit changes a group's rows, once for every engine: the roster diff of
/// <see cref="RosterChange"/> applied leaf by leaf, and the epoch's proposals cleared.</summary>
internal static class SqlGroupRoster
{
    /// <summary>Applies <paramref name="change"/> to <paramref name="group"/>'s members inside the commit's write.</summary>
    public static async ValueTask ApplyCommitAsync(Db db, string group, RosterChange change)
    {
        foreach (uint leaf in change.Vacated)
        {
            await db.ExecuteAsync("DELETE FROM group_members WHERE group_id = $1 AND leaf_index = $2", group, (long)leaf);
        }
        foreach (var (leaf, device, key) in change.Occupied)
        {
            await db.ExecuteAsync("INSERT INTO group_members (group_id, leaf_index, device_id, signature_key) VALUES ($1, $2, $3, $4)",
                group, (long)leaf, device.Value, key);
            if (db.Dialect.MailboxHeads)
            {
                // A channel subscriber's queue gets its mailbox head when its leaf arrives (a device got its own at registration).
                await db.ExecuteAsync(
                    """
                    INSERT INTO mailbox_heads (device_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM devices WHERE device_id = $1)
                    ON CONFLICT DO NOTHING
                    """,
                    device.Value);
            }
        }
        foreach (var (leaf, key) in change.Rekeyed)
        {
            await db.ExecuteAsync("UPDATE group_members SET signature_key = $3 WHERE group_id = $1 AND leaf_index = $2", group, (long)leaf, key);
        }
        // Proposals are valid for one epoch only (RFC 9420 §12.4).
        await db.ExecuteAsync("DELETE FROM group_proposals WHERE group_id = $1", group);
    }
}
