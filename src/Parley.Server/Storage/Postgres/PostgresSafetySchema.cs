using Npgsql;

namespace Parley.Server.Storage.Postgres;

/// <summary>The PostgreSQL tables of server secrets, blocking, reports, suspensions and the audit log
/// (docs/safety.md), created at start-up if missing. A stolen copy reveals what the SQLite tables reveal
/// (<see cref="Sqlite.SqliteSafetySchema"/>) plus the server franking key in <c>server_secrets</c>, unless the
/// operator configures <c>Parley:FrankingKey</c> instead.</summary>
internal static class PostgresSafetySchema
{
    private const string Create = """
        CREATE TABLE IF NOT EXISTS server_secrets (
            name  text PRIMARY KEY,
            value bytea NOT NULL
        );

        CREATE TABLE IF NOT EXISTS blocks (
            blocker_account text NOT NULL,
            blocked_account text NOT NULL,
            PRIMARY KEY (blocker_account, blocked_account)
        );
        CREATE INDEX IF NOT EXISTS blocks_by_blocked ON blocks (blocked_account);

        CREATE TABLE IF NOT EXISTS reports (
            report_id        text PRIMARY KEY,
            reporter_account text NOT NULL,
            sender_account   text NOT NULL,
            sender_device    text NOT NULL,
            group_id         text NOT NULL,
            message_id       text NOT NULL,
            accepted_at      bigint NOT NULL,
            reported_at      bigint NOT NULL,
            reason           text NOT NULL,
            comment          text NOT NULL,
            envelope         bytea NOT NULL,
            stamp            bytea NOT NULL,
            open             boolean NOT NULL,
            resolution       text,
            closed_at        bigint
        );
        -- Reports closed before closed_at existed count as closed when the column was added.
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'reports' AND column_name = 'closed_at') THEN
                ALTER TABLE reports ADD COLUMN closed_at bigint;
                UPDATE reports SET closed_at = extract(epoch FROM now())::bigint WHERE NOT open;
            END IF;
        END $$;
        CREATE INDEX IF NOT EXISTS reports_by_time ON reports (open, reported_at);

        CREATE TABLE IF NOT EXISTS report_attachments (
            report_id text NOT NULL,
            idx       integer NOT NULL,
            blob_id   text NOT NULL,
            verified  boolean NOT NULL,
            PRIMARY KEY (report_id, idx)
        );

        CREATE TABLE IF NOT EXISTS suspensions (
            account_id   text PRIMARY KEY,
            reason       text NOT NULL,
            suspended_at bigint NOT NULL
        );

        CREATE TABLE IF NOT EXISTS audit_log (
            seq    bigint PRIMARY KEY,
            at     bigint NOT NULL,
            action text NOT NULL,
            target text NOT NULL,
            reason text NOT NULL,
            hash   bytea NOT NULL
        );
        -- Append-only: the chain would show a change anyway, but the database refuses to make one.
        CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
        DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """;

    /// <summary>Key of the advisory lock held while creating, so nodes starting together do it once.</summary>
    private const long CreateLock = 0x5061726c6579 + 7;

    /// <summary>Creates the tables (under an advisory lock).</summary>
    public static void Apply(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({CreateLock})", connection))
        {
            lockCommand.ExecuteNonQuery();
        }
        using (var create = new NpgsqlCommand(Create, connection))
        {
            create.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}
