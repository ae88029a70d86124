using Microsoft.Data.Sqlite;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The SQLite tables of blocking, reports, suspensions and the audit log (docs/safety.md). What a
/// stolen copy reveals: who blocks whom (account ids); for each report the reporter, the sender (account and
/// device), group and message ids, times, reason, comment, the reported message's envelope (its content and,
/// for an attachment, the key that opens the retained evidence blob) and its sealed stamp; which accounts are
/// suspended and why; every operator action. Nothing about messages nobody reported. A closed report goes
/// <c>Parley:ReportRetention</c> (90 days) after it was closed.</summary>
internal static class SqliteSafetySchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS blocks (
            blocker_account TEXT NOT NULL,
            blocked_account TEXT NOT NULL,
            PRIMARY KEY (blocker_account, blocked_account)
        );
        CREATE INDEX IF NOT EXISTS blocks_by_blocked ON blocks (blocked_account);

        CREATE TABLE IF NOT EXISTS reports (
            report_id        TEXT PRIMARY KEY,
            reporter_account TEXT NOT NULL,
            sender_account   TEXT NOT NULL,
            sender_device    TEXT NOT NULL,
            group_id         TEXT NOT NULL,
            message_id       TEXT NOT NULL,
            accepted_at      INTEGER NOT NULL,
            reported_at      INTEGER NOT NULL,
            reason           TEXT NOT NULL,
            comment          TEXT NOT NULL,
            envelope         BLOB NOT NULL,
            stamp            BLOB NOT NULL,
            open             INTEGER NOT NULL,
            resolution       TEXT,
            closed_at        INTEGER
        );
        CREATE INDEX IF NOT EXISTS reports_by_time ON reports (open, reported_at);

        CREATE TABLE IF NOT EXISTS report_attachments (
            report_id  TEXT NOT NULL,
            idx        INTEGER NOT NULL,
            blob_id    TEXT NOT NULL,
            verified   INTEGER NOT NULL,
            PRIMARY KEY (report_id, idx)
        );

        CREATE TABLE IF NOT EXISTS suspensions (
            account_id   TEXT PRIMARY KEY,
            reason       TEXT NOT NULL,
            suspended_at INTEGER NOT NULL
        );

        CREATE TABLE IF NOT EXISTS audit_log (
            seq    INTEGER PRIMARY KEY,
            at     INTEGER NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            reason TEXT NOT NULL,
            hash   BLOB NOT NULL
        );
        -- Append-only: the chain would show a change anyway, but the database refuses to make one.
        CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """;

    /// <summary>Brings tables created by an earlier version up to <see cref="Create"/>: reports closed before
    /// <c>closed_at</c> existed count as closed now, so their retention starts at the upgrade.</summary>
    public static void Upgrade(SqliteConnection connection)
    {
        if (connection.Scalar("SELECT 1 FROM pragma_table_info('reports') WHERE name = 'closed_at'") is null)
        {
            SqliteMigrations.AddColumn(connection, "reports", "closed_at", "INTEGER");
            connection.Execute("UPDATE reports SET closed_at = unixepoch() WHERE open = 0");
        }
    }
}
