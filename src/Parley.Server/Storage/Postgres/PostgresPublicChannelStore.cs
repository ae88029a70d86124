using Npgsql;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.PublicChannels;

namespace Parley.Server.Storage.Postgres;

/// <summary>Public channels in PostgreSQL, shared by every node. A write to a channel's posts locks the channel's row
/// first, so posts from several nodes are numbered in one order, without gaps, and an edit never races its deletion.</summary>
internal sealed class PostgresPublicChannelStore(PostgresDatabase database) : IPublicChannelStore
{
    public Task<CreatePublicChannelOutcome> CreateAsync(string name, string title, string description, AccountId owner, DateTimeOffset now,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
        {
            if (await connection.ExecuteAsync(
                    """
                    INSERT INTO public_channels (name, title, description, owner_id, created_at)
                    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                    """,
                    [name, title, description, owner.Value, Pg.UnixSeconds(now)], ct) == 0)
            {
                return CreatePublicChannelOutcome.NameTaken;
            }
            await connection.ExecuteAsync("INSERT INTO public_channel_admins (name, account_id, position) VALUES ($1, $2, 0)",
                [name, owner.Value], ct);
            return CreatePublicChannelOutcome.Created;
        }, cancellationToken);

    public async Task<PublicChannel?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        var rows = await connection.QueryAsync(
            """
            SELECT title, description, owner_id, created_at, taken_down FROM public_channels WHERE name = $1
            """,
            [name],
            static r => (Title: r.GetString(0), Description: r.GetString(1), Owner: new AccountId(r.GetString(2)),
                CreatedAt: DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(3)), TakenDown: r.GetBoolean(4)),
            cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }
        var admins = await connection.QueryAsync(
            """
            SELECT a.account_id, u.username, u.identity_key FROM public_channel_admins a JOIN accounts u ON u.account_id = a.account_id
            WHERE a.name = $1 ORDER BY a.position
            """,
            [name], static r => new PublicChannelAdmin(new AccountId(r.GetString(0)), r.GetString(1), (byte[])r[2]), cancellationToken);
        var c = rows[0];
        return new PublicChannel(name, c.Title, c.Description, c.Owner, c.CreatedAt, c.TakenDown, admins);
    }

    public Task<bool> AddAdminAsync(string name, AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
        {
            if (await connection.ScalarAsync("SELECT 1 FROM public_channels WHERE name = $1 FOR UPDATE", [name], ct) is null)
            {
                return false;
            }
            await connection.ExecuteAsync(
                """
                INSERT INTO public_channel_admins (name, account_id, position)
                VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM public_channel_admins WHERE name = $1))
                ON CONFLICT DO NOTHING
                """,
                [name, account.Value], ct);
            return true;
        }, cancellationToken);

    public Task<bool> RemoveAdminAsync(string name, AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            """
            DELETE FROM public_channel_admins WHERE name = $1 AND account_id = $2
              AND account_id <> (SELECT owner_id FROM public_channels WHERE name = $1)
            """,
            [name, account.Value], ct) > 0, cancellationToken);

    public Task<(AppendPostOutcome Outcome, long Sequence)> AppendAsync(string name, string postId, PublicPostOperation operation, byte[] post,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync<(AppendPostOutcome, long)>(async (connection, ct) =>
        {
            object? takenDown = await connection.ScalarAsync("SELECT taken_down FROM public_channels WHERE name = $1 FOR UPDATE", [name], ct);
            if (takenDown is not bool flag)
            {
                return (AppendPostOutcome.ChannelNotFound, 0);
            }
            if (flag)
            {
                return (AppendPostOutcome.TakenDown, 0);
            }
            var existing = await connection.QueryAsync(
                "SELECT seq, post, deleted, taken_down FROM public_posts WHERE name = $1 AND post_id = $2", [name, postId],
                static r => (Sequence: r.GetInt64(0), Post: (byte[])r[1], Deleted: r.GetBoolean(2), TakenDown: r.GetBoolean(3)), ct);
            var (outcome, sequence, replace) = PublicPostVersions.Decide(operation, post,
                existing.Count == 0 ? null : (existing[0].Sequence, existing[0].Post, existing[0].Deleted, existing[0].TakenDown));
            if (outcome != AppendPostOutcome.Appended)
            {
                return (outcome, sequence);
            }
            if (replace)
            {
                await connection.ExecuteAsync("UPDATE public_posts SET post = $3, deleted = $4 WHERE name = $1 AND seq = $2",
                    [name, sequence, post, operation == PublicPostOperation.Delete], ct);
                return (outcome, sequence);
            }
            long next = (long)(await connection.ScalarAsync(
                "UPDATE public_channels SET last_seq = last_seq + 1 WHERE name = $1 RETURNING last_seq", [name], ct))!;
            await connection.ExecuteAsync("INSERT INTO public_posts (name, seq, post_id, post) VALUES ($1, $2, $3, $4)",
                [name, next, postId, post], ct);
            return (outcome, next);
        }, cancellationToken);

    public async Task<IReadOnlyList<PublicPostRecord>> ReadPostsAsync(string name, long after, int limit, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync(
            """
            SELECT seq, post_id, post, deleted, views FROM public_posts
            WHERE name = $1 AND seq > $2 AND NOT taken_down ORDER BY seq LIMIT $3
            """,
            [name, after, limit],
            static r => new PublicPostRecord(r.GetInt64(0), r.GetString(1), (byte[])r[2], r.GetBoolean(3), r.GetInt64(4)), cancellationToken);
    }

    public Task<bool> CountViewAsync(string name, string postId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "UPDATE public_posts SET views = views + 1 WHERE name = $1 AND post_id = $2 AND NOT taken_down",
            [name, postId], ct) > 0, cancellationToken);

    public Task<bool> SetTakenDownAsync(string name, bool takenDown, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "UPDATE public_channels SET taken_down = $2 WHERE name = $1 AND taken_down <> $2",
            [name, takenDown], ct) > 0, cancellationToken);

    public Task<PostTakedownOutcome> TakeDownPostAsync(string name, string postId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
        {
            object? flag = await connection.ScalarAsync("SELECT taken_down FROM public_posts WHERE name = $1 AND post_id = $2 FOR UPDATE",
                [name, postId], ct);
            if (flag is not bool takenDown)
            {
                return PostTakedownOutcome.PostNotFound;
            }
            if (takenDown)
            {
                return PostTakedownOutcome.AlreadyTakenDown;
            }
            await connection.ExecuteAsync("UPDATE public_posts SET taken_down = true WHERE name = $1 AND post_id = $2", [name, postId], ct);
            return PostTakedownOutcome.TakenDown;
        }, cancellationToken);
}
