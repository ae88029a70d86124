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

    /// <summary>Copies the WAL into the database and truncates it to nothing, so deleted rows' old page images do not
    /// outlive the sweep that deleted them. Best effort: with a reader in the way it checkpoints what it can and the
    /// next sweep finishes.</summary>
    public void TruncateWal()
    {
        using SqliteConnection connection = OpenRead();
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    public ValueTask DisposeAsync() => Writer.DisposeAsync();

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
