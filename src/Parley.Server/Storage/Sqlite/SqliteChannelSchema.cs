using Microsoft.Data.Sqlite;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Tables of private and public channels (docs/channels.md), created at start-up. What a stolen copy adds:
/// which groups are channels and their admin accounts; SHA-256 hashes of invite tokens (not the tokens, so no join
/// capability) with their expiry and approval flag; pending join requests (the joiner's anonymous queue id and its
/// pseudonymous key package, deleted once answered); each channel's latest joinable GroupInfo (the ratchet tree members
/// see: admins' device leaves and pseudonymous ones); per-post view token hashes (unlinkable to viewers and across posts);
/// public channels with their owner, admins, signed posts and view counters. No subscriber's device.</summary>
internal static class SqliteChannelSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS channels (
            group_id TEXT PRIMARY KEY
        );

        CREATE TABLE IF NOT EXISTS channel_admins (
            group_id   TEXT NOT NULL,
            account_id TEXT NOT NULL,
            position   INTEGER NOT NULL,
            PRIMARY KEY (group_id, account_id)
        );

        CREATE TABLE IF NOT EXISTS channel_invites (
            token_hash BLOB PRIMARY KEY,
            invite_id  TEXT NOT NULL UNIQUE,
            group_id   TEXT NOT NULL,
            approval   INTEGER NOT NULL,
            expires_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS channel_invites_by_group ON channel_invites (group_id, created_at);

        CREATE TABLE IF NOT EXISTS channel_join_requests (
            request_id  TEXT PRIMARY KEY,
            group_id    TEXT NOT NULL,
            invite_id   TEXT NOT NULL,
            queue_id    TEXT NOT NULL,
            kp_ref      BLOB NOT NULL,
            key_package BLOB NOT NULL,
            approval    INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            UNIQUE (group_id, kp_ref)
        );
        CREATE INDEX IF NOT EXISTS channel_join_requests_by_group ON channel_join_requests (group_id);
        CREATE INDEX IF NOT EXISTS channel_join_requests_by_expiry ON channel_join_requests (expires_at);

        CREATE TABLE IF NOT EXISTS channel_group_infos (
            group_id   TEXT PRIMARY KEY,
            epoch      INTEGER NOT NULL,
            group_info BLOB NOT NULL
        );

        CREATE TABLE IF NOT EXISTS channel_views (
            group_id   TEXT NOT NULL,
            message_id TEXT NOT NULL,
            token_hash BLOB NOT NULL,
            PRIMARY KEY (group_id, message_id, token_hash)
        );

        CREATE TABLE IF NOT EXISTS public_channels (
            name        TEXT PRIMARY KEY,
            title       TEXT NOT NULL,
            description TEXT NOT NULL,
            owner_id    TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            last_seq    INTEGER NOT NULL DEFAULT 0,
            taken_down  INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE IF NOT EXISTS public_channel_admins (
            name       TEXT NOT NULL,
            account_id TEXT NOT NULL,
            position   INTEGER NOT NULL,
            PRIMARY KEY (name, account_id)
        );

        CREATE TABLE IF NOT EXISTS public_posts (
            name       TEXT NOT NULL,
            seq        INTEGER NOT NULL,
            post_id    TEXT NOT NULL,
            post       BLOB NOT NULL,
            deleted    INTEGER NOT NULL DEFAULT 0,
            views      INTEGER NOT NULL DEFAULT 0,
            taken_down INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (name, seq),
            UNIQUE (name, post_id)
        );
        """;

    /// <summary>Brings tables created by an earlier version up to <see cref="Create"/> (run before it): join requests that named
    /// the requesting device are dropped (their joiners see them expire and join again, now through an anonymous queue), and
    /// the public-channel subscriptions kept per account go (subscriptions live in the subscribers' clients).</summary>
    public static void Upgrade(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.Scalar("SELECT 1 FROM pragma_table_info('channel_join_requests') WHERE name = 'device_id'") is not null)
        {
            connection.Execute("DROP TABLE channel_join_requests");
        }
        connection.Execute("DROP TABLE IF EXISTS public_subscriptions");
    }
}
