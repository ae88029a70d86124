using Microsoft.Data.Sqlite;
using Parley.Server.Blobs;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Blob metadata in SQLite, keyed by the blob key (a hash of the id, never the id).</summary>
internal sealed class SqliteBlobStore(SqliteDatabase database) : IBlobStore
{
    public Task<CreateBlobOutcome> CreateAsync(BlobRecord blob, long deviceQuota, DateTimeOffset now, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            long held = (long)connection.Scalar(
                "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE device_id = $d AND expires_at > $now",
                ("$d", blob.Uploader.Value), ("$now", Sql.UnixSeconds(now)))!;
            if (held + blob.Size > deviceQuota)
            {
                return CreateBlobOutcome.QuotaExceeded;
            }
            connection.Execute(
                "INSERT INTO blobs (blob_key, device_id, size, received, expires_at) VALUES ($k, $d, $s, $r, $x)",
                ("$k", blob.Key.Value), ("$d", blob.Uploader.Value), ("$s", blob.Size), ("$r", blob.Received),
                ("$x", Sql.UnixSeconds(blob.ExpiresAt)));
            return CreateBlobOutcome.Created;
        }, cancellationToken);

    public Task<BlobRecord?> FindAsync(BlobKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(connection.Query(
            "SELECT blob_key, device_id, size, received, expires_at FROM blobs WHERE blob_key = $k AND expires_at > $now",
            static r => new BlobRecord(new BlobKey(r.GetString(0)), new DeviceId(r.GetString(1)), r.GetInt64(2), r.GetInt64(3),
                DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4))),
            ("$k", key.Value), ("$now", Sql.UnixSeconds(now))).FirstOrDefault());
    }

    public Task<bool> RecordReceivedAsync(BlobKey key, long received, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(
            connection => connection.Execute("UPDATE blobs SET received = $r, expires_at = $x WHERE blob_key = $k",
                ("$k", key.Value), ("$r", received), ("$x", Sql.UnixSeconds(expiresAt))) > 0,
            cancellationToken);

    public Task<IReadOnlyList<BlobKey>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        IReadOnlyList<BlobKey> keys = connection.Query(
            "SELECT blob_key FROM blobs WHERE expires_at <= $now ORDER BY expires_at LIMIT $limit",
            static r => new BlobKey(r.GetString(0)), ("$now", Sql.UnixSeconds(now)), ("$limit", limit));
        return Task.FromResult(keys);
    }

    public Task<bool> ExistsAsync(BlobKey key, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        return Task.FromResult(connection.Scalar("SELECT 1 FROM blobs WHERE blob_key = $k", ("$k", key.Value)) is not null);
    }

    public Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(
            connection => connection.Execute("DELETE FROM blobs WHERE blob_key = $k", ("$k", key.Value)) > 0,
            cancellationToken);
}
