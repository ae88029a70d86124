using Npgsql;
using Parley.Server.Accounts;

namespace Parley.Server.Storage.Postgres;

/// <summary>The PostgreSQL schema as an ordered list of migrations; <c>schema_version</c> holds the
/// number applied. Every table's key starts with the account, device, group, username or blob it
/// belongs to: that first column is the distribution column should the tables be sharded
/// (Citus-style), and docs/scaling.md says which operations stay on one shard. What a stolen copy
/// reveals is what the SQLite schema reveals (usernames, public keys, certificates, credential
/// hashes, rosters, key packages, undelivered ciphertext, hashed send ids, blob sizes), plus a hash of
/// each unexpired signing challenge and, briefly, the ciphertext of a message still being fanned out.</summary>
internal static class PostgresSchema
{
    /// <summary>Key of the advisory lock held while migrating, so nodes starting together migrate once.</summary>
    private const long MigrationLock = 0x5061726c6579; // "Parley"

    /// <summary>Migration N (1-based) takes the schema from version N-1 to N.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE accounts (
            account_id   text PRIMARY KEY,
            username     text NOT NULL,
            identity_key bytea NOT NULL
        );

        -- The directory's unique index, keyed (and distributable) by username.
        CREATE TABLE usernames (
            username   text PRIMARY KEY,
            account_id text NOT NULL
        );

        CREATE TABLE devices (
            device_id       text PRIMARY KEY,
            account_id      text NOT NULL,
            added           bigint GENERATED ALWAYS AS IDENTITY,
            cipher_suite    integer NOT NULL,
            signature_key   bytea NOT NULL,
            certificate     bytea NOT NULL,
            credential_hash bytea,
            revoked         boolean NOT NULL DEFAULT false
        );
        CREATE INDEX devices_by_account ON devices (account_id, added);

        -- Each device's last mailbox sequence number. A fan-out locks the heads of its recipients
        -- (in device-id order) before numbering their copies, so a device's copies commit in the
        -- order of their numbers and a reader paging by sequence never skips one.
        CREATE TABLE mailbox_heads (
            device_id text PRIMARY KEY,
            last_seq  bigint NOT NULL DEFAULT 0
        );

        CREATE TABLE key_packages (
            device_id   text NOT NULL,
            package_ref bytea NOT NULL,
            added       bigint GENERATED ALWAYS AS IDENTITY,
            data        bytea NOT NULL,
            last_resort boolean NOT NULL,
            not_after   bigint NOT NULL,
            PRIMARY KEY (device_id, package_ref)
        );
        CREATE INDEX key_packages_to_claim ON key_packages (device_id, added) WHERE NOT last_resort;
        CREATE INDEX key_packages_by_expiry ON key_packages (not_after);

        CREATE TABLE groups (
            group_id     text PRIMARY KEY,
            cipher_suite integer NOT NULL,
            epoch        bigint NOT NULL
        );

        CREATE TABLE group_members (
            group_id   text NOT NULL,
            leaf_index bigint NOT NULL,
            device_id  text NOT NULL,
            PRIMARY KEY (group_id, leaf_index)
        );

        CREATE TABLE group_proposals (
            group_id     text NOT NULL,
            proposal_ref bytea NOT NULL,
            epoch        bigint NOT NULL,
            sender_leaf  bigint NOT NULL,
            proposal     bytea NOT NULL,
            PRIMARY KEY (group_id, proposal_ref)
        );

        -- Accepted sends, keyed by group and a hash of (sender, message id): the idempotency record,
        -- and until every recipient's copy is stored, the fan-out still to do (message and
        -- recipients; cleared afterwards).
        CREATE TABLE group_sends (
            group_id           text NOT NULL,
            send_key           bytea NOT NULL,
            epoch              bigint NOT NULL,
            accepted_at        bigint NOT NULL,
            expires_at         bigint NOT NULL,
            message_id         text,
            message            bytea,
            recipients         text[],
            welcome            bytea,
            welcome_recipients text[],
            PRIMARY KEY (group_id, send_key)
        );
        CREATE INDEX group_sends_pending ON group_sends (accepted_at) WHERE message IS NOT NULL;
        CREATE INDEX group_sends_by_expiry ON group_sends (expires_at);

        -- A device's copies. An acknowledged copy keeps its row without the payload for a while, so
        -- a fan-out that runs again (after a node died mid-way) cannot deliver it twice.
        CREATE TABLE mailbox (
            device_id  text NOT NULL,
            seq        bigint NOT NULL,
            message_id text NOT NULL,
            payload    bytea,
            expires_at bigint NOT NULL,
            PRIMARY KEY (device_id, seq),
            UNIQUE (device_id, message_id)
        );
        CREATE INDEX mailbox_by_expiry ON mailbox (expires_at);

        CREATE TABLE challenges (
            challenge_key bytea PRIMARY KEY,
            expires_at    bigint NOT NULL
        );

        CREATE TABLE blobs (
            blob_key   text PRIMARY KEY,
            device_id  text NOT NULL,
            size       bigint NOT NULL,
            received   bigint NOT NULL,
            expires_at bigint NOT NULL
        );
        CREATE INDEX blobs_by_device ON blobs (device_id, expires_at);
        CREATE INDEX blobs_by_expiry ON blobs (expires_at);
        """,
        // 2: the sealed franking stamp of each mailbox copy, and a send's stamps (in recipient order) until its
        // fan-out is done (docs/safety.md, "Franking"). Idempotent, like every migration after the first.
        """
        ALTER TABLE mailbox ADD COLUMN IF NOT EXISTS stamp bytea;
        ALTER TABLE group_sends ADD COLUMN IF NOT EXISTS stamps bytea[];
        """,
        // 3: the operator's spent nonces until their replay window ends (shared, so no node accepts a replay), and each
        // account's current window of key-package claims by other accounts (docs/server-protocol.md, "Key packages").
        """
        CREATE TABLE IF NOT EXISTS operator_nonces (
            nonce      text PRIMARY KEY,
            expires_at bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS operator_nonces_by_expiry ON operator_nonces (expires_at);
        CREATE TABLE IF NOT EXISTS key_package_claims (
            account_id  text PRIMARY KEY,
            window_ends bigint NOT NULL,
            claims      integer NOT NULL
        );
        """,
        // 4: the current epoch's GroupContext and interim transcript hash, and each leaf's signature key, so commits and
        // proposals are verified (docs/security.md, "What the server checks"); null for a group created before, until
        // its next commit (and for a leaf, until it is updated).
        """
        ALTER TABLE groups ADD COLUMN IF NOT EXISTS group_context bytea;
        ALTER TABLE groups ADD COLUMN IF NOT EXISTS interim_hash bytea;
        ALTER TABLE group_members ADD COLUMN IF NOT EXISTS signature_key bytea;
        """,
        // 5: one username per confusable skeleton (docs/server-protocol.md, "Usernames"), keyed (and
        // distributable) by skeleton like usernames by username. Existing accounts keep their names; where two
        // of them already share a skeleton, one holds it.
        $"""
        CREATE TABLE IF NOT EXISTS username_skeletons (
            skeleton   text PRIMARY KEY,
            account_id text NOT NULL
        );
        INSERT INTO username_skeletons (skeleton, account_id)
            SELECT {Username.SkeletonSql("username")}, account_id FROM usernames ORDER BY username
            ON CONFLICT DO NOTHING;
        """,
        // 6: the tables whose rows link ciphertext to devices are vacuumed after every 1,000 dead rows rather than
        // a fifth of the table, so deleted copies and send records leave the heap's live pages soon
        // (docs/privacy.md, "PostgreSQL").
        """
        ALTER TABLE mailbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
        ALTER TABLE group_sends SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
        """,
        // 7: the delivery keys of sealed sending for the current and the previous epoch (docs/protocol.md, "Sealed sending").
        """
        ALTER TABLE groups ADD COLUMN IF NOT EXISTS delivery_key bytea;
        ALTER TABLE groups ADD COLUMN IF NOT EXISTS previous_delivery_key bytea;
        """,
        // 8: each key package's MLS cipher suite, so a device publishes packages in several suites and a claim asks for
        // one (docs/server-protocol.md, "Key packages"). Packages stored before are in their device's suite.
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'key_packages' AND column_name = 'cipher_suite'
                           AND table_schema = current_schema()) THEN
                ALTER TABLE key_packages ADD COLUMN cipher_suite integer NOT NULL DEFAULT 1;
                UPDATE key_packages k SET cipher_suite = d.cipher_suite FROM devices d WHERE d.device_id = k.device_id;
            END IF;
        END $$;
        DROP INDEX IF EXISTS key_packages_to_claim;
        CREATE INDEX IF NOT EXISTS key_packages_to_claim_by_suite ON key_packages (device_id, cipher_suite, added) WHERE NOT last_resort;
        """,
    ];

    /// <summary>The version this code expects.</summary>
    public static int Version => Migrations.Length;

    /// <summary>Creates or migrates the schema (under an advisory lock); refuses a database whose
    /// schema is newer than this code.</summary>
    public static void Migrate(NpgsqlDataSource dataSource)
    {
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        Execute(connection, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        using (var read = new NpgsqlCommand("SELECT max(version) FROM schema_version", connection))
        {
            object? value = read.ExecuteScalar();
            int current = value is int v ? v : 0;
            if (current > Migrations.Length)
            {
                throw new InvalidOperationException(
                    $"The database schema is at version {current}, newer than this server's {Migrations.Length}; upgrade the server.");
            }
            for (int version = current + 1; version <= Migrations.Length; version++)
            {
                Execute(connection, Migrations[version - 1]);
            }
            if (current < Migrations.Length)
            {
                Execute(connection, "DELETE FROM schema_version");
                Execute(connection, $"INSERT INTO schema_version (version) VALUES ({Migrations.Length})");
            }
        }
        transaction.Commit();
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
