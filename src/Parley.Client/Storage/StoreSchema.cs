// The store's tables. In clear: random ids, local sequence numbers, blind indexes and the key header;
// every other value is a sealed cell (StoreCipher) whose AAD names its table, column and row.
using Microsoft.Data.Sqlite;

namespace Parley.Client.Storage;

/// <summary>Creates and checks the schema of a client store.</summary>
internal static class StoreSchema
{
    /// <summary>The schema version this code reads and writes.</summary>
    public const long Version = 1;

    public const string Meta = "meta";
    public const string Identity = "identity";
    public const string KeyPackages = "key_packages";
    public const string Conversations = "conversations";
    public const string Messages = "messages";
    public const string Deliveries = "deliveries";
    public const string Outbox = "outbox";
    public const string Contacts = "contacts";
    public const string Attachments = "attachments";

    private const string Ddl = """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE identity (id INTEGER PRIMARY KEY CHECK (id = 1), record BLOB NOT NULL);
        CREATE TABLE key_packages (ref_index BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE conversations (id BLOB PRIMARY KEY, record BLOB NOT NULL, group_state BLOB) WITHOUT ROWID;
        CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation BLOB NOT NULL, ref_index BLOB NOT NULL UNIQUE,
                               record BLOB NOT NULL, state BLOB NOT NULL);
        CREATE INDEX messages_by_conversation ON messages (conversation, seq);
        CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, ref_index BLOB NOT NULL UNIQUE);
        CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation BLOB NOT NULL, record BLOB NOT NULL);
        CREATE TABLE contacts (id BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE attachments (id BLOB PRIMARY KEY, message_seq INTEGER, record BLOB NOT NULL) WITHOUT ROWID;
        CREATE INDEX attachments_by_message ON attachments (message_seq);
        """;

    /// <summary>Per-connection settings of the writer: WAL with full sync (a commit is on disk), freed pages
    /// overwritten (expired messages do not linger in free pages), temporary data kept in memory.</summary>
    public static void ConfigureWriter(SqliteConnection connection)
        => Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;");

    public static void Create(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, Ddl);
        Execute(connection, transaction, $"PRAGMA user_version = {Version};");
    }

    public static void Check(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta';";
        if ((long)command.ExecuteScalar()! == 0)
        {
            throw new StoreFormatException("The file is not a Parley client store.");
        }
        command.CommandText = "PRAGMA user_version;";
        long version = (long)command.ExecuteScalar()!;
        if (version != Version)
        {
            throw new StoreFormatException($"The store has schema version {version}; this Parley reads version {Version}.");
        }
    }

    public static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
