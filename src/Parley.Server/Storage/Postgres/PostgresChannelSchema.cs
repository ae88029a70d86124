using Npgsql;

namespace Parley.Server.Storage.Postgres;

/// <summary>Tables of private and public channels (docs/channels.md) in PostgreSQL, created at start-up under an
/// advisory lock so nodes starting together create them once. Keyed first by the group id or public channel name they
/// belong to (the distribution column, as in <see cref="PostgresSchema"/>). A stolen copy reveals what the SQLite
/// tables reveal (<see cref="Sqlite.SqliteChannelSchema"/>).</summary>
internal static class PostgresChannelSchema
{
    /// <summary>Key of the advisory lock held while creating the tables ("PChan").</summary>
    private const long CreateLock = 0x504368616e;

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS channels (
            group_id text PRIMARY KEY
        );

        CREATE TABLE IF NOT EXISTS channel_admins (
            group_id   text NOT NULL,
            account_id text NOT NULL,
            position   integer NOT NULL,
            PRIMARY KEY (group_id, account_id)
        );

        CREATE TABLE IF NOT EXISTS channel_invites (
            token_hash bytea PRIMARY KEY,
            invite_id  text NOT NULL UNIQUE,
            group_id   text NOT NULL,
            approval   boolean NOT NULL,
            expires_at bigint,
            created_at bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS channel_invites_by_group ON channel_invites (group_id, created_at);

        -- Join requests that named the requesting device (an earlier version) are dropped: their joiners see them expire and
        -- join again through an anonymous queue. Public-channel subscriptions are no longer kept per account.
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_name = 'channel_join_requests' AND column_name = 'device_id' AND table_schema = current_schema()) THEN
                DROP TABLE channel_join_requests;
            END IF;
        END $$;
        DROP TABLE IF EXISTS public_subscriptions;
        DELETE FROM server_secrets WHERE name = 'subscription.key';

        CREATE TABLE IF NOT EXISTS channel_join_requests (
            request_id  text PRIMARY KEY,
            seq         bigint GENERATED ALWAYS AS IDENTITY,
            group_id    text NOT NULL,
            invite_id   text NOT NULL,
            queue_id    text NOT NULL,
            kp_ref      bytea NOT NULL,
            key_package bytea NOT NULL,
            approval    boolean NOT NULL,
            expires_at  bigint NOT NULL,
            UNIQUE (group_id, kp_ref)
        );
        CREATE INDEX IF NOT EXISTS channel_join_requests_by_group ON channel_join_requests (group_id, seq);
        CREATE INDEX IF NOT EXISTS channel_join_requests_by_expiry ON channel_join_requests (expires_at);

        CREATE TABLE IF NOT EXISTS channel_group_infos (
            group_id   text PRIMARY KEY,
            epoch      bigint NOT NULL,
            group_info bytea NOT NULL
        );

        CREATE TABLE IF NOT EXISTS channel_views (
            group_id   text NOT NULL,
            message_id text NOT NULL,
            token_hash bytea NOT NULL,
            PRIMARY KEY (group_id, message_id, token_hash)
        );

        -- Membership checks of large channels (views, join requests) look a device up within its group.
        CREATE INDEX IF NOT EXISTS group_members_by_group_device ON group_members (group_id, device_id);

        CREATE TABLE IF NOT EXISTS public_channels (
            name        text PRIMARY KEY,
            title       text NOT NULL,
            description text NOT NULL,
            owner_id    text NOT NULL,
            created_at  bigint NOT NULL,
            last_seq    bigint NOT NULL DEFAULT 0,
            taken_down  boolean NOT NULL DEFAULT false
        );

        CREATE TABLE IF NOT EXISTS public_channel_admins (
            name       text NOT NULL,
            account_id text NOT NULL,
            position   bigint NOT NULL,
            PRIMARY KEY (name, account_id)
        );

        CREATE TABLE IF NOT EXISTS public_posts (
            name       text NOT NULL,
            seq        bigint NOT NULL,
            post_id    text NOT NULL,
            post       bytea NOT NULL,
            deleted    boolean NOT NULL DEFAULT false,
            views      bigint NOT NULL DEFAULT 0,
            taken_down boolean NOT NULL DEFAULT false,
            PRIMARY KEY (name, seq),
            UNIQUE (name, post_id)
        );

        """;

    /// <summary>Creates the tables that do not exist yet.</summary>
    public static void Create(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        using NpgsqlConnection connection = dataSource.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({CreateLock})", connection))
        {
            lockCommand.ExecuteNonQuery();
        }
        using (var create = new NpgsqlCommand(Tables, connection))
        {
            create.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}
