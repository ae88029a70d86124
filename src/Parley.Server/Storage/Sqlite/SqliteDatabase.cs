using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The embedded SQLite database in the data folder: WAL journal, schema created at
/// start-up, pooled read connections, and one <see cref="SqliteWriter"/> through which every write
/// goes. Every table is keyed first by the account, device or group it belongs to, so the same
/// layout can be distributed by that key later.</summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    /// <summary>File name of the database inside the data folder.</summary>
    public const string FileName = "parley.db";

    // Read connections kept open with their statements prepared (Sql.PrepareOnce), each used by one reader at a time: the
    // credential lookup of every request and the mailbox read of every push prepared their statement again on a fresh pooled
    // connection each time (docs/benchmarks.md, "Where a relayed message's server time goes").
    private const int MaxIdleReaders = 16;
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> _readers = [];
    private readonly string _connectionString;

    public SqliteDatabase(IOptions<ParleyServerOptions> options, TimeProvider time, Operations.ServerMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        string directory = DataFolder.Create(options.Value.DataDirectory);
        DataFolder.CreatePrivateFile(Path.Combine(directory, FileName));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        var writeConnection = new SqliteConnection(_connectionString);
        writeConnection.Open();
        // WAL lets readers run beside the single writer; FULL makes every commit durable before
        // the writer reports it, which is what "accepted" promises. secure_delete overwrites what a
        // delete frees (a delivered message, its stamp) instead of leaving it in free pages
        // (docs/privacy.md); TruncateWal then drops the old page images from the WAL.
        Execute(writeConnection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;");
        Execute(writeConnection, SqliteSchema.Create);
        SqliteMigrations.Apply(writeConnection);
        Execute(writeConnection, SqliteSafetySchema.Create);
        SqliteSafetySchema.Upgrade(writeConnection);
        SqliteChannelSchema.Upgrade(writeConnection);
        Execute(writeConnection, SqliteChannelSchema.Create);
        Writer = new SqliteWriter(writeConnection, options.Value.MaxWriteBatch, metrics);
        Time = time;
    }

    /// <summary>The single writer every change goes through.</summary>
    public SqliteWriter Writer { get; }

    /// <summary>The clock the stores use for expiry.</summary>
    public TimeProvider Time { get; }

    /// <summary>Opens a pooled connection for reading (readers see the last committed state).</summary>
    public SqliteConnection OpenRead()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> on a kept read connection whose statements stay prepared between uses. The work
    /// must finish its statements before it returns (every <see cref="Sql"/> helper does).</summary>
    public T Read<T>(Func<SqliteConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!_readers.TryTake(out SqliteConnection? connection))
        {
            connection = OpenRead();
            Sql.PrepareOnce(connection);
        }
        try
        {
            return work(connection);
        }
        finally
        {
            if (_readers.Count < MaxIdleReaders)
            {
                _readers.Add(connection);
            }
            else
            {
                Close(connection);
            }
        }
    }

    /// <summary>Copies the WAL into the database and truncates it to nothing, so deleted rows' old page images do not
    /// outlive the sweep that deleted them. Best effort: with a reader in the way it checkpoints what it can and the
    /// next sweep finishes.</summary>
    public void TruncateWal()
    {
        using SqliteConnection connection = OpenRead();
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        while (_readers.TryTake(out SqliteConnection? connection))
        {
            Close(connection);
        }
    }

    private static void Close(SqliteConnection connection)
    {
        Sql.DisposeKept(connection);
        connection.Dispose();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
