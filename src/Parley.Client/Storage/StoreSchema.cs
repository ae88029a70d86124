// The store's tables. In clear: random ids, local sequence numbers, blind indexes and the key header;
// every other value is a sealed cell (StoreCipher) whose AAD names its table, column and row.
using Microsoft.Data.Sqlite;

namespace Parley.Client.Storage;

/// <summary>Creates and checks the schema of a client store.</summary>
internal static class StoreSchema
{
    /// <summary>The schema version this code reads and writes: the first schema plus every upgrade.</summary>
    public static long Version => 1 + Upgrades.Length;

    public const string Meta = "meta";
    public const string Identity = "identity";
    public const string KeyPackages = "key_packages";
    public const string Conversations = "conversations";
    public const string Messages = "messages";
    public const string Deliveries = "deliveries";
    public const string Outbox = "outbox";
    public const string Contacts = "contacts";
    public const string Attachments = "attachments";
    public const string MessageStamps = "message_stamps";
    public const string Blocks = "blocks";

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

    // Upgrades in order: step i turns schema version i + 1 into i + 2. Append new steps; never change one that shipped.
    private static readonly string[] Upgrades =
    [
        // 1 → 2: the server's delivery stamp of each received message (to report it) and the local block list.
        """
        CREATE TABLE message_stamps (message_seq INTEGER PRIMARY KEY, record BLOB NOT NULL);
        CREATE TRIGGER message_stamps_follow_messages AFTER DELETE ON messages
            BEGIN DELETE FROM message_stamps WHERE message_seq = old.seq; END;
        CREATE TABLE blocks (ref_index BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
        """,
        // 2 → 3: channels this device follows, its pending join requests and pinned public channel owners (docs/channels.md).
        """
        CREATE TABLE channel_records (ref_index BLOB PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
        """,
    ];

    /// <summary>Per-connection settings of the writer: WAL with full sync (a commit is on disk), freed pages
    /// overwritten (expired messages do not linger in free pages), temporary data kept in memory.</summary>
    public static void ConfigureWriter(SqliteConnection connection)
        => Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;");

    public static void Create(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, Ddl);
        foreach (string upgrade in Upgrades)
        {
            Execute(connection, transaction, upgrade);
        }
        Execute(connection, transaction, $"PRAGMA user_version = {Version};");
    }

    /// <summary>Brings a store of an older schema version up to <see cref="Version"/>, in one transaction.</summary>
    public static void Upgrade(SqliteConnection connection)
    {
        long version = UserVersion(connection);
        if (version >= Version)
        {
            return;
        }
        using var transaction = connection.BeginTransaction();
        for (long step = version; step < Version; step++)
        {
            Execute(connection, transaction, Upgrades[step - 1]);
        }
        Execute(connection, transaction, $"PRAGMA user_version = {Version};");
        transaction.Commit();
    }

    public static void Check(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta';";
        if ((long)command.ExecuteScalar()! == 0)
        {
            throw new StoreFormatException("The file is not a Parley client store.");
        }
        long version = UserVersion(connection);
        if (version < 1 || version > Version)
        {
            throw new StoreFormatException($"The store has schema version {version}; this Parley reads versions 1 to {Version}.");
        }
    }

    private static long UserVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }

    public static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
