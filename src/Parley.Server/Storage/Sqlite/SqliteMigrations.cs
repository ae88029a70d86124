using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Upgrades a database created by an earlier version of <see cref="SqliteSchema"/>; <c>schema_version</c>
/// holds the version reached. Each step is idempotent (it checks before it alters), so a crash between a step
/// and the version update is harmless, and all steps run in one transaction.</summary>
internal static class SqliteMigrations
{
    /// <summary>Step N takes the schema from version N+1 to N+2 (version 1 is <see cref="SqliteSchema.Create"/>).</summary>
    private static readonly Action<SqliteConnection>[] Steps =
    [
        // 2: the sealed franking stamp of each mailbox copy (docs/safety.md, "Franking").
        connection => AddColumn(connection, "mailbox", "stamp", "BLOB"),
        // 3: the operator's spent nonces until their replay window ends, and each account's current window of key-package
        // claims by other accounts (docs/server-protocol.md, "Key packages"); both rows are deleted once their time is up.
        connection => connection.Execute("""
            CREATE TABLE IF NOT EXISTS operator_nonces (
                nonce      TEXT PRIMARY KEY,
                expires_at INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS operator_nonces_by_expiry ON operator_nonces (expires_at);
            CREATE TABLE IF NOT EXISTS key_package_claims (
                account_id  TEXT PRIMARY KEY,
                window_ends INTEGER NOT NULL,
                claims      INTEGER NOT NULL
            );
            """),
        // 4: the current epoch's GroupContext and interim transcript hash, and each leaf's signature key, so commits and
        // proposals are verified (docs/security.md, "What the server checks"); null for a group created before, until
        // its next commit (and for a leaf, until it is updated).
        connection =>
        {
            AddColumn(connection, "groups", "group_context", "BLOB");
            AddColumn(connection, "groups", "interim_hash", "BLOB");
            AddColumn(connection, "group_members", "signature_key", "BLOB");
        },
        // 5: one username per confusable skeleton (docs/server-protocol.md, "Usernames"). Existing accounts keep
        // their names; where two of them already share a skeleton, the first holds it.
        connection =>
        {
            connection.Execute("CREATE TABLE IF NOT EXISTS username_skeletons (skeleton TEXT PRIMARY KEY, account_id TEXT NOT NULL)");
            connection.Execute(
                $"INSERT OR IGNORE INTO username_skeletons (skeleton, account_id) SELECT {Username.SkeletonSql("username")}, account_id FROM accounts ORDER BY rowid");
        },
        // 6: the delivery keys of sealed sending for the current and the previous epoch (docs/protocol.md, "Sealed sending");
        // null until a registration or commit announces one.
        connection =>
        {
            AddColumn(connection, "groups", "delivery_key", "BLOB");
            AddColumn(connection, "groups", "previous_delivery_key", "BLOB");
        },
        // 7: each key package's MLS cipher suite, so a device publishes packages in several suites and a claim asks for
        // one (docs/server-protocol.md, "Key packages"). Packages stored before are in their device's suite.
        connection =>
        {
            if (connection.Scalar("SELECT 1 FROM pragma_table_info('key_packages') WHERE name = 'cipher_suite'") is null)
            {
                connection.Execute("ALTER TABLE key_packages ADD COLUMN cipher_suite INTEGER NOT NULL DEFAULT 1");
                connection.Execute(
                    "UPDATE key_packages SET cipher_suite = (SELECT d.cipher_suite FROM devices d WHERE d.device_id = key_packages.device_id) "
                    + "WHERE EXISTS (SELECT 1 FROM devices d WHERE d.device_id = key_packages.device_id)");
            }
        },
    ];

    /// <summary>The version this code expects.</summary>
    public static int Version => Steps.Length + 1;

    /// <summary>Runs the steps the database has not had yet; refuses a database newer than this code.</summary>
    public static void Apply(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var transaction = connection.BeginTransaction();
        long current = connection.Scalar("SELECT max(version) FROM schema_version") as long? ?? 1;
        if (current > Version)
        {
            throw new InvalidOperationException(
                $"The database schema is at version {current}, newer than this server's {Version}; upgrade the server.");
        }
        for (long version = current + 1; version <= Version; version++)
        {
            Steps[version - 2](connection);
        }
        if (current < Version)
        {
            connection.Execute("UPDATE schema_version SET version = $v", ("$v", (long)Version));
        }
        transaction.Commit();
    }

    internal static void AddColumn(SqliteConnection connection, string table, string column, string type)
    {
        if (connection.Scalar($"SELECT 1 FROM pragma_table_info('{table}') WHERE name = $c", ("$c", column)) is null)
        {
            connection.Execute($"ALTER TABLE {table} ADD COLUMN {column} {type}");
        }
    }
}
