using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.PublicChannels;

namespace Parley.Server.Storage.Shared;

/// <summary>Public channels. A write to a channel's posts reads the channel's row first (locking it where the engine
/// locks rows), so posts, from one writer or several nodes, are numbered in one order without gaps, and an edit never
/// races its deletion.</summary>
internal sealed class SqlPublicChannelStore(SqlEngine engine) : IPublicChannelStore
{
    public Task<CreatePublicChannelOutcome> CreateAsync(string name, string title, string description, AccountId owner, DateTimeOffset now,
        CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
        {
            if (await db.ExecuteAsync(
                    """
                    INSERT INTO public_channels (name, title, description, owner_id, created_at)
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                    """,
                    name, title, description, owner.Value, Db.UnixSeconds(now)) == 0)
            {
                return CreatePublicChannelOutcome.NameTaken;
            }
            await db.ExecuteAsync("INSERT INTO public_channel_admins (name, account_id, position) VALUES ($1, $2, 0)", name, owner.Value);
            return CreatePublicChannelOutcome.Created;
        }, cancellationToken);

    public Task<PublicChannel?> FindAsync(string name, CancellationToken cancellationToken)
        => engine.ReadAsync(async db =>
        {
            var rows = await db.QueryAsync(
                "SELECT title, description, owner_id, created_at, taken_down FROM public_channels WHERE name = $1",
                static r => (Title: r.GetString(0), Description: r.GetString(1), Owner: new AccountId(r.GetString(2)),
                    CreatedAt: DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(3)), TakenDown: r.GetBoolean(4)),
                name);
            if (rows.Count == 0)
            {
                return null;
            }
            var admins = await db.QueryAsync(
                """
                SELECT a.account_id, u.username, u.identity_key FROM public_channel_admins a JOIN accounts u ON u.account_id = a.account_id
                WHERE a.name = $1 ORDER BY a.position
                """,
                static r => new PublicChannelAdmin(new AccountId(r.GetString(0)), r.GetString(1), (byte[])r[2]), name);
            var c = rows[0];
            return new PublicChannel(name, c.Title, c.Description, c.Owner, c.CreatedAt, c.TakenDown, admins);
        }, cancellationToken);

    public Task<bool> AddAdminAsync(string name, AccountId account, CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
        {
            if (await db.ScalarAsync("SELECT 1 FROM public_channels WHERE name = $1" + db.Dialect.ForUpdate, name) is null)
            {
                return false;
            }
            await db.ExecuteAsync(
                """
                INSERT INTO public_channel_admins (name, account_id, position)
                VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM public_channel_admins WHERE name = $1))
                ON CONFLICT DO NOTHING
                """,
                name, account.Value);
            return true;
        }, cancellationToken);

    public Task<bool> RemoveAdminAsync(string name, AccountId account, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            """
            DELETE FROM public_channel_admins WHERE name = $1 AND account_id = $2
              AND account_id <> (SELECT owner_id FROM public_channels WHERE name = $1)
            """,
            name, account.Value) > 0, cancellationToken);

    public Task<(AppendPostOutcome Outcome, long Sequence)> AppendAsync(string name, string postId, PublicPostOperation operation, byte[] post,
        CancellationToken cancellationToken)
        => engine.WriteAsync<(AppendPostOutcome, long)>(async db =>
        {
            object? takenDown = await db.ScalarAsync("SELECT taken_down FROM public_channels WHERE name = $1" + db.Dialect.ForUpdate, name);
            if (takenDown is null)
            {
                return (AppendPostOutcome.ChannelNotFound, 0);
            }
            if (Db.Flag(takenDown))
            {
                return (AppendPostOutcome.TakenDown, 0);
            }
            var existing = await db.QueryAsync(
                "SELECT seq, post, deleted, taken_down FROM public_posts WHERE name = $1 AND post_id = $2",
                static r => (Sequence: r.GetInt64(0), Post: (byte[])r[1], Deleted: r.GetBoolean(2), TakenDown: r.GetBoolean(3)),
                name, postId);
            var (outcome, sequence, replace) = PublicPostVersions.Decide(operation, post,
                existing.Count == 0 ? null : (existing[0].Sequence, existing[0].Post, existing[0].Deleted, existing[0].TakenDown));
            if (outcome != AppendPostOutcome.Appended)
            {
                return (outcome, sequence);
            }
            if (replace)
            {
                await db.ExecuteAsync("UPDATE public_posts SET post = $3, deleted = $4 WHERE name = $1 AND seq = $2",
                    name, sequence, post, operation == PublicPostOperation.Delete);
                return (outcome, sequence);
            }
            long next = Db.Integer(await db.ScalarAsync(
                "UPDATE public_channels SET last_seq = last_seq + 1 WHERE name = $1 RETURNING last_seq", name));
            await db.ExecuteAsync("INSERT INTO public_posts (name, seq, post_id, post) VALUES ($1, $2, $3, $4)", name, next, postId, post);
            return (outcome, next);
        }, cancellationToken);

    public Task<IReadOnlyList<PublicPostRecord>> ReadPostsAsync(string name, long after, int limit, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<PublicPostRecord>>(async db => await db.QueryAsync(
            """
            SELECT seq, post_id, post, deleted, views FROM public_posts
            WHERE name = $1 AND seq > $2 AND NOT taken_down ORDER BY seq LIMIT $3
            """,
            static r => new PublicPostRecord(r.GetInt64(0), r.GetString(1), (byte[])r[2], r.GetBoolean(3), r.GetInt64(4)),
            name, after, limit), cancellationToken);

    public Task<bool> CountViewAsync(string name, string postId, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "UPDATE public_posts SET views = views + 1 WHERE name = $1 AND post_id = $2 AND NOT taken_down", name, postId) > 0,
            cancellationToken);

    public Task<bool> SetTakenDownAsync(string name, bool takenDown, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "UPDATE public_channels SET taken_down = $2 WHERE name = $1 AND taken_down <> $2", name, takenDown) > 0,
            cancellationToken);

    public Task<PostTakedownOutcome> TakeDownPostAsync(string name, string postId, CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
        {
            object? flag = await db.ScalarAsync(
                "SELECT taken_down FROM public_posts WHERE name = $1 AND post_id = $2" + db.Dialect.ForUpdate, name, postId);
            if (flag is null)
            {
                return PostTakedownOutcome.PostNotFound;
            }
            if (Db.Flag(flag))
            {
                return PostTakedownOutcome.AlreadyTakenDown;
            }
            await db.ExecuteAsync("UPDATE public_posts SET taken_down = TRUE WHERE name = $1 AND post_id = $2", name, postId);
            return PostTakedownOutcome.TakenDown;
        }, cancellationToken);
}
