// The in-memory index of the decrypted history: an SQLite FTS5 full-text table and the disappearing-message
// schedule. Built in the background when a store opens, kept current as writes commit, never written to disk.
using System.Text;
using Microsoft.Data.Sqlite;
using Parley.Client.Conversations;
using Parley.Client.Messages;

namespace Parley.Client.Search;

/// <summary>One message as the index sees it: the account that sent it (null for this account's own), searchable
/// text (null for none), expiry, and whether it is an incoming message not yet read.</summary>
internal readonly record struct IndexEntry(long Seq, ConversationId Conversation, string? Sender, string? Text, DateTimeOffset? ExpiresAt,
    bool Unread = false);

/// <summary>An index change, produced by a committed write: upsert an entry or remove a message.</summary>
internal readonly record struct IndexChange(long Seq, IndexEntry? Entry)
{
    public static IndexChange Upsert(IndexEntry entry) => new(entry.Seq, entry);

    public static IndexChange Remove(long seq) => new(seq, null);
}

/// <summary>Full-text search (FTS5 in a private in-memory SQLite database) and the expiry schedule over the
/// decrypted history. Changes that commit while the initial build runs are queued and replayed in commit
/// order afterwards, so the index ends equal to the store.</summary>
internal sealed class HistoryIndex : IDisposable
{
    private const int BatchCheck = 512;

    private readonly SqliteConnection _db;
    private readonly object _gate = new();
    private readonly SortedSet<(long Ticks, long Seq)> _expiry = [];
    private readonly Dictionary<long, long> _expiryBySeq = [];
    private readonly Dictionary<long, ConversationId> _unreadExpiring = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private List<IndexChange>? _pending = [];
    private Task? _build;
    private SqliteCommand? _insert;
    private SqliteCommand? _delete;
    private bool _disposed;

    public HistoryIndex()
    {
        _db = new SqliteConnection("Data Source=:memory:");
        _db.Open();
        Execute("PRAGMA temp_store = MEMORY;");
        Execute("CREATE VIRTUAL TABLE history USING fts5(body, conversation UNINDEXED, sender UNINDEXED, expires UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');");
    }

    /// <summary>Completes once the initial build has finished (faults if it failed).</summary>
    public Task Ready => _ready.Task;

    /// <summary>Messages indexed (after <see cref="Ready"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Starts building from <paramref name="snapshot"/>, which runs on a pool thread and must read one
    /// consistent snapshot of the store.</summary>
    public void Start(Func<CancellationToken, IEnumerable<IndexEntry>> snapshot)
        => _build = Task.Run(() => Build(snapshot));

    /// <summary>Applies changes that just committed, in commit order.</summary>
    public void Apply(IReadOnlyList<IndexChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            if (_pending is not null)
            {
                _pending.AddRange(changes);
                return;
            }
            ApplyNow(changes);
        }
    }

    /// <summary>Messages matching every term of <paramref name="text"/> (as word prefixes), newest first, leaving
    /// out those that <paramref name="hiddenSenders"/> sent and those expired at <paramref name="now"/> (filtered
    /// before the limit, so it still fills).</summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string text, ConversationId? conversation, IReadOnlyCollection<string> hiddenSenders, int limit,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(hiddenSenders);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        string? query = ToMatchQuery(text);
        if (query is null)
        {
            return [];
        }
        await Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _db.CreateCommand();
            var sql = new StringBuilder(
                "SELECT rowid, conversation, snippet(history, 0, '[', ']', '…', 12) FROM history WHERE history MATCH $q"
                + " AND (expires IS NULL OR expires > $now)");
            command.Parameters.AddWithValue("$q", query);
            command.Parameters.AddWithValue("$now", now.UtcTicks);
            command.Parameters.AddWithValue("$n", limit);
            if (conversation is { } c)
            {
                sql.Append(" AND conversation = $c");
                command.Parameters.AddWithValue("$c", c.ToString());
            }
            if (hiddenSenders.Count > 0)
            {
                var names = hiddenSenders.Select((name, i) => (Name: name, Parameter: "$h" + i)).ToList();
                sql.Append(" AND (sender IS NULL OR sender NOT IN (").Append(string.Join(", ", names.Select(n => n.Parameter))).Append("))");
                foreach (var (name, parameter) in names)
                {
                    command.Parameters.AddWithValue(parameter, name);
                }
            }
            command.CommandText = sql.Append(" ORDER BY rowid DESC LIMIT $n;").ToString();
            var hits = new List<SearchHit>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                hits.Add(new SearchHit(new LocalMessageId(reader.GetInt64(0)), ConversationId.Parse(reader.GetString(1)), reader.GetString(2)));
            }
            return hits;
        }
    }

    /// <summary>Messages whose expiry is at or before <paramref name="now"/>.</summary>
    public async Task<IReadOnlyList<LocalMessageId>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            return _expiry.GetViewBetween((long.MinValue, long.MinValue), (now.UtcTicks, long.MaxValue))
                .Select(e => new LocalMessageId(e.Seq)).ToList();
        }
    }

    /// <summary>Per conversation, how many unread incoming messages expired at or before <paramref name="now"/> and
    /// are not deleted yet (empty until <see cref="Ready"/>).</summary>
    public Dictionary<ConversationId, int> ExpiredUnread(DateTimeOffset now)
    {
        var counts = new Dictionary<ConversationId, int>();
        lock (_gate)
        {
            if (_pending is not null || _disposed || _unreadExpiring.Count == 0)
            {
                return counts;
            }
            foreach (var (_, seq) in _expiry.GetViewBetween((long.MinValue, long.MinValue), (now.UtcTicks, long.MaxValue)))
            {
                if (_unreadExpiring.TryGetValue(seq, out var conversation))
                {
                    counts[conversation] = counts.GetValueOrDefault(conversation) + 1;
                }
            }
        }
        return counts;
    }

    /// <summary>The earliest expiry among indexed messages, or null (after <see cref="Ready"/>).</summary>
    public DateTimeOffset? NextExpiry
    {
        get
        {
            lock (_gate)
            {
                return _expiry.Count == 0 ? null : new DateTimeOffset(_expiry.Min.Ticks, TimeSpan.Zero);
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        // The builder checks the token every few hundred rows and never throws, so this returns promptly.
        _build?.GetAwaiter().GetResult();
        lock (_gate)
        {
            _disposed = true;
            _insert?.Dispose();
            _delete?.Dispose();
            _db.Dispose();
        }
        _ready.TrySetCanceled();
        _stop.Dispose();
    }

    // Turns user text into an FTS5 query: every whitespace-separated term, quoted, as a prefix; all required.
    internal static string? ToMatchQuery(string text)
    {
        var terms = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (terms.Length == 0)
        {
            return null;
        }
        return string.Join(' ', terms.Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"*"));
    }

    private void Build(Func<CancellationToken, IEnumerable<IndexEntry>> snapshot)
    {
        try
        {
            var token = _stop.Token;
            // Until Ready, only this thread touches _db: Apply queues into _pending instead.
            // Plain BEGIN/COMMIT: the prepared commands are reused across transactions.
            Execute("BEGIN;");
            try
            {
                int n = 0;
                foreach (var entry in snapshot(token))
                {
                    if (++n % BatchCheck == 0)
                    {
                        token.ThrowIfCancellationRequested();
                    }
                    Upsert(entry, fresh: true);
                }
                Execute("COMMIT;");
            }
            catch
            {
                Execute("ROLLBACK;");
                throw;
            }
            lock (_gate)
            {
                ApplyNow(_pending!);
                _pending = null;
            }
            _ready.TrySetResult();
        }
        catch (OperationCanceledException)
        {
            _ready.TrySetCanceled();
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
        }
    }

    private void ApplyNow(IReadOnlyList<IndexChange> changes)
    {
        Execute("BEGIN;");
        try
        {
            foreach (var change in changes)
            {
                if (change.Entry is { } entry)
                {
                    Upsert(entry, fresh: false);
                }
                else
                {
                    Remove(change.Seq);
                }
            }
            Execute("COMMIT;");
        }
        catch
        {
            Execute("ROLLBACK;");
            throw;
        }
    }

    private void Upsert(IndexEntry entry, bool fresh)
    {
        if (!fresh)
        {
            Remove(entry.Seq);
        }
        if (!string.IsNullOrEmpty(entry.Text))
        {
            _insert ??= Prepare("INSERT INTO history (rowid, body, conversation, sender, expires) VALUES ($id, $body, $conversation, $sender, $expires);",
                "$id", "$body", "$conversation", "$sender", "$expires");
            _insert.Parameters[0].Value = entry.Seq;
            _insert.Parameters[1].Value = entry.Text;
            _insert.Parameters[2].Value = entry.Conversation.ToString();
            _insert.Parameters[3].Value = (object?)entry.Sender ?? DBNull.Value;
            _insert.Parameters[4].Value = entry.ExpiresAt is { } at ? at.UtcTicks : DBNull.Value;
            _insert.ExecuteNonQuery();
            Count++;
        }
        if (entry.ExpiresAt is { } expires)
        {
            _expiry.Add((expires.UtcTicks, entry.Seq));
            _expiryBySeq[entry.Seq] = expires.UtcTicks;
            if (entry.Unread)
            {
                _unreadExpiring[entry.Seq] = entry.Conversation;
            }
        }
    }

    private void Remove(long seq)
    {
        _delete ??= Prepare("DELETE FROM history WHERE rowid = $id;", "$id");
        _delete.Parameters[0].Value = seq;
        Count -= _delete.ExecuteNonQuery();
        if (_expiryBySeq.Remove(seq, out long ticks))
        {
            _expiry.Remove((ticks, seq));
            _unreadExpiring.Remove(seq);
        }
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _db.CreateCommand();
        command.CommandText = sql;
        foreach (string p in parameters)
        {
            command.Parameters.Add(new SqliteParameter(p, null));
        }
        command.Prepare();
        return command;
    }

    private void Execute(string sql)
    {
        using var command = _db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
