using Microsoft.Data.Sqlite;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.PublicChannels;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Public channels in SQLite. A new post takes the channel's next sequence number inside the single writer,
/// so posts are numbered in the order they were accepted, without gaps.</summary>
internal sealed class SqlitePublicChannelStore(SqliteDatabase database) : IPublicChannelStore
{
    public Task<CreatePublicChannelOutcome> CreateAsync(string name, string title, string description, AccountId owner, DateTimeOffset now,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            if (connection.Execute(
                    """
                    INSERT OR IGNORE INTO public_channels (name, title, description, owner_id, created_at)
                    VALUES ($n, $t, $d, $o, $c)
                    """,
                    ("$n", name), ("$t", title), ("$d", description), ("$o", owner.Value), ("$c", Sql.UnixSeconds(now))) == 0)
            {
                return CreatePublicChannelOutcome.NameTaken;
            }
            connection.Execute("INSERT INTO public_channel_admins (name, account_id, position) VALUES ($n, $a, 0)",
                ("$n", name), ("$a", owner.Value));
            return CreatePublicChannelOutcome.Created;
        }, cancellationToken);

    public Task<PublicChannel?> FindAsync(string name, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        var rows = connection.Query(
            "SELECT title, description, owner_id, created_at, taken_down FROM public_channels WHERE name = $n",
            static r => (Title: r.GetString(0), Description: r.GetString(1), Owner: new AccountId(r.GetString(2)),
                CreatedAt: DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(3)), TakenDown: r.GetInt64(4) != 0),
            ("$n", name));
        if (rows.Count == 0)
        {
            return Task.FromResult<PublicChannel?>(null);
        }
        var admins = connection.Query(
            """
            SELECT a.account_id, u.username, u.identity_key FROM public_channel_admins a JOIN accounts u ON u.account_id = a.account_id
            WHERE a.name = $n ORDER BY a.position
            """,
            static r => new PublicChannelAdmin(new AccountId(r.GetString(0)), r.GetString(1), (byte[])r[2]), ("$n", name));
        var c = rows[0];
        return Task.FromResult<PublicChannel?>(new PublicChannel(name, c.Title, c.Description, c.Owner, c.CreatedAt, c.TakenDown, admins));
    }

    public Task<bool> AddAdminAsync(string name, AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            if (connection.Scalar("SELECT 1 FROM public_channels WHERE name = $n", ("$n", name)) is null)
            {
                return false;
            }
            connection.Execute(
                """
                INSERT OR IGNORE INTO public_channel_admins (name, account_id, position)
                VALUES ($n, $a, (SELECT coalesce(max(position), 0) + 1 FROM public_channel_admins WHERE name = $n))
                """,
                ("$n", name), ("$a", account.Value));
            return true;
        }, cancellationToken);

    public Task<bool> RemoveAdminAsync(string name, AccountId account, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            """
            DELETE FROM public_channel_admins WHERE name = $n AND account_id = $a
              AND account_id <> (SELECT owner_id FROM public_channels WHERE name = $n)
            """,
            ("$n", name), ("$a", account.Value)) > 0, cancellationToken);

    public Task<(AppendPostOutcome Outcome, long Sequence)> AppendAsync(string name, string postId, PublicPostOperation operation, byte[] post,
        CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync<(AppendPostOutcome, long)>(connection =>
        {
            object? takenDown = connection.Scalar("SELECT taken_down FROM public_channels WHERE name = $n", ("$n", name));
            if (takenDown is not long flag)
            {
                return (AppendPostOutcome.ChannelNotFound, 0);
            }
            if (flag != 0)
            {
                return (AppendPostOutcome.TakenDown, 0);
            }
            var existing = connection.Query("SELECT seq, post, deleted, taken_down FROM public_posts WHERE name = $n AND post_id = $p",
                static r => (Sequence: r.GetInt64(0), Post: (byte[])r[1], Deleted: r.GetInt64(2) != 0, TakenDown: r.GetInt64(3) != 0),
                ("$n", name), ("$p", postId));
            var (outcome, sequence, replace) = PublicPostVersions.Decide(operation, post,
                existing.Count == 0 ? null : (existing[0].Sequence, existing[0].Post, existing[0].Deleted, existing[0].TakenDown));
            if (outcome != AppendPostOutcome.Appended)
            {
                return (outcome, sequence);
            }
            if (replace)
            {
                connection.Execute("UPDATE public_posts SET post = $b, deleted = $d WHERE name = $n AND seq = $s",
                    ("$b", post), ("$d", operation == PublicPostOperation.Delete ? 1 : 0), ("$n", name), ("$s", sequence));
                return (outcome, sequence);
            }
            long next = (long)connection.Scalar("UPDATE public_channels SET last_seq = last_seq + 1 WHERE name = $n RETURNING last_seq",
                ("$n", name))!;
            connection.Execute("INSERT INTO public_posts (name, seq, post_id, post) VALUES ($n, $s, $p, $b)",
                ("$n", name), ("$s", next), ("$p", postId), ("$b", post));
            return (outcome, next);
        }, cancellationToken);

    public Task<IReadOnlyList<PublicPostRecord>> ReadPostsAsync(string name, long after, int limit, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<PublicPostRecord> posts = connection.Query(
            """
            SELECT seq, post_id, post, deleted, views FROM public_posts
            WHERE name = $n AND seq > $a AND taken_down = 0 ORDER BY seq LIMIT $l
            """,
            static r => new PublicPostRecord(r.GetInt64(0), r.GetString(1), (byte[])r[2], r.GetInt64(3) != 0, r.GetInt64(4)),
            ("$n", name), ("$a", after), ("$l", limit));
        return Task.FromResult(posts);
    }

    public Task<bool> CountViewAsync(string name, string postId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "UPDATE public_posts SET views = views + 1 WHERE name = $n AND post_id = $p AND taken_down = 0",
            ("$n", name), ("$p", postId)) > 0, cancellationToken);

    public Task<bool> SetTakenDownAsync(string name, bool takenDown, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "UPDATE public_channels SET taken_down = $t WHERE name = $n AND taken_down <> $t",
            ("$n", name), ("$t", takenDown ? 1 : 0)) > 0, cancellationToken);

    public Task<PostTakedownOutcome> TakeDownPostAsync(string name, string postId, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            if (connection.Scalar("SELECT taken_down FROM public_posts WHERE name = $n AND post_id = $p", ("$n", name), ("$p", postId))
                is not long flag)
            {
                return PostTakedownOutcome.PostNotFound;
            }
            if (flag != 0)
            {
                return PostTakedownOutcome.AlreadyTakenDown;
            }
            connection.Execute("UPDATE public_posts SET taken_down = 1 WHERE name = $n AND post_id = $p", ("$n", name), ("$p", postId));
            return PostTakedownOutcome.TakenDown;
        }, cancellationToken);
}
