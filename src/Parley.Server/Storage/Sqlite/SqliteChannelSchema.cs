namespace Parley.Server.Storage.Sqlite;

/// <summary>Tables of private and public channels (docs/channels.md), created at start-up. What a stolen copy adds:
/// which groups are channels and their admin accounts; SHA-256 hashes of invite tokens (not the tokens, so no join
/// capability) with their expiry and approval flag; join requests (the requesting device, its pseudonymous key package
/// until resolved, status); per-post view token hashes (unlinkable to viewers and across posts); public channels with
/// their owner, admins, signed posts, view counters and hashed subscriptions.</summary>
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
            device_id   TEXT NOT NULL,
            kp_ref      BLOB NOT NULL,
            key_package BLOB,
            approval    INTEGER NOT NULL,
            status      INTEGER NOT NULL,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            UNIQUE (group_id, kp_ref)
        );
        CREATE INDEX IF NOT EXISTS channel_join_requests_by_status ON channel_join_requests (group_id, status, created_at);
        CREATE INDEX IF NOT EXISTS channel_join_requests_by_expiry ON channel_join_requests (expires_at);

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

        CREATE TABLE IF NOT EXISTS public_subscriptions (
            name           TEXT NOT NULL,
            subscriber_key BLOB NOT NULL,
            PRIMARY KEY (name, subscriber_key)
        );
        """;
}
