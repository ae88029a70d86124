namespace Parley.Server.Storage.Sqlite;

/// <summary>The SQLite schema (version 1). What a stolen copy reveals: usernames, public keys,
/// device certificates, credential hashes, group rosters (device ids per group and the epoch),
/// undelivered ciphertext with its message id and expiry hour, SHA-256(sender device ‖ message id)
/// of recent sends, and for each attachment blob its size, uploading device and expiry under a hash
/// of its id. While a copy is undelivered its id and that hash name its sender; once delivered the
/// row is deleted and overwritten (secure_delete, WAL truncated by the sweep). No IP addresses, no
/// blob ids, names or types, no timestamps of activity beyond expiry hours (docs/privacy.md).</summary>
internal static class SqliteSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM schema_version);

        CREATE TABLE IF NOT EXISTS accounts (
            account_id   TEXT PRIMARY KEY,
            username     TEXT NOT NULL UNIQUE,
            identity_key BLOB NOT NULL
        );

        CREATE TABLE IF NOT EXISTS devices (
            device_id       TEXT PRIMARY KEY,
            account_id      TEXT NOT NULL REFERENCES accounts (account_id),
            cipher_suite    INTEGER NOT NULL,
            signature_key   BLOB NOT NULL,
            certificate     BLOB NOT NULL,
            credential_hash BLOB,
            revoked         INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS devices_by_account ON devices (account_id);

        CREATE TABLE IF NOT EXISTS key_packages (
            device_id   TEXT NOT NULL,
            package_ref BLOB NOT NULL,
            data        BLOB NOT NULL,
            last_resort INTEGER NOT NULL,
            not_after   INTEGER NOT NULL,
            PRIMARY KEY (device_id, package_ref)
        );

        CREATE TABLE IF NOT EXISTS groups (
            group_id     TEXT PRIMARY KEY,
            cipher_suite INTEGER NOT NULL,
            epoch        INTEGER NOT NULL
        );

        CREATE TABLE IF NOT EXISTS group_members (
            group_id   TEXT NOT NULL,
            leaf_index INTEGER NOT NULL,
            device_id  TEXT NOT NULL,
            PRIMARY KEY (group_id, leaf_index)
        );
        CREATE INDEX IF NOT EXISTS group_members_by_device ON group_members (device_id);

        CREATE TABLE IF NOT EXISTS group_proposals (
            group_id     TEXT NOT NULL,
            proposal_ref BLOB NOT NULL,
            epoch        INTEGER NOT NULL,
            sender_leaf  INTEGER NOT NULL,
            proposal     BLOB NOT NULL,
            PRIMARY KEY (group_id, proposal_ref)
        );

        CREATE TABLE IF NOT EXISTS mailbox (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id  TEXT NOT NULL,
            message_id TEXT NOT NULL,
            payload    BLOB NOT NULL,
            expires_at INTEGER NOT NULL,
            UNIQUE (device_id, message_id)
        );
        CREATE INDEX IF NOT EXISTS mailbox_by_expiry ON mailbox (expires_at);

        CREATE TABLE IF NOT EXISTS accepted_sends (
            send_key   BLOB PRIMARY KEY,
            epoch      INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );

        CREATE TABLE IF NOT EXISTS blobs (
            blob_key   TEXT PRIMARY KEY,
            device_id  TEXT NOT NULL,
            size       INTEGER NOT NULL,
            received   INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS blobs_by_device ON blobs (device_id, expires_at);
        CREATE INDEX IF NOT EXISTS blobs_by_expiry ON blobs (expires_at);
        """;
}
