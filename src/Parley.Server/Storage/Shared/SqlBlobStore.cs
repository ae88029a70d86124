using System.Data.Common;
using Parley.Server.Blobs;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Shared;

/// <summary>Blob metadata, keyed by the blob key (a hash of the id, never the id). The bytes stay in
/// <see cref="BlobFiles"/> under the data folder (which several PostgreSQL nodes must share).</summary>
internal sealed class SqlBlobStore(SqlEngine engine) : IBlobStore
{
    private const string Columns = "blob_key, device_id, size, received, expires_at";

    public Task<CreateBlobOutcome> CreateAsync(BlobRecord blob, long deviceQuota, DateTimeOffset now, CancellationToken cancellationToken)
        // The uploader's head is locked first, so two nodes creating blobs for one device check the quota in turn.
        => engine.WriteAsync(WriteKeys.Device(blob.Uploader.Value), async db =>
        {
            long held = Db.Integer(await db.ScalarAsync(
                "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs WHERE device_id = $1 AND expires_at > $2",
                blob.Uploader.Value, Db.UnixSeconds(now)));
            if (held + blob.Size > deviceQuota)
            {
                return CreateBlobOutcome.QuotaExceeded;
            }
            await db.ExecuteAsync($"INSERT INTO blobs ({Columns}) VALUES ($1, $2, $3, $4, $5)",
                blob.Key.Value, blob.Uploader.Value, blob.Size, blob.Received, Db.UnixSeconds(blob.ExpiresAt));
            return CreateBlobOutcome.Created;
        }, cancellationToken);

    public Task<BlobRecord?> FindAsync(BlobKey key, DateTimeOffset now, CancellationToken cancellationToken)
        => engine.ReadAsync(db => db.FirstAsync($"SELECT {Columns} FROM blobs WHERE blob_key = $1 AND expires_at > $2", Map,
            key.Value, Db.UnixSeconds(now)), cancellationToken);

    public Task<bool> RecordReceivedAsync(BlobKey key, long received, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync("UPDATE blobs SET received = $2, expires_at = $3 WHERE blob_key = $1",
            key.Value, received, Db.UnixSeconds(expiresAt)) > 0, cancellationToken);

    public Task<IReadOnlyList<BlobKey>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<BlobKey>>(async db => await db.QueryAsync(
            "SELECT blob_key FROM blobs WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
            static r => new BlobKey(r.GetString(0)), Db.UnixSeconds(now), limit), cancellationToken);

    public Task<bool> ExistsAsync(BlobKey key, CancellationToken cancellationToken)
        => engine.ReadAsync(async db => await db.ScalarAsync("SELECT 1 FROM blobs WHERE blob_key = $1", key.Value) is not null,
            cancellationToken);

    public Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync("DELETE FROM blobs WHERE blob_key = $1", key.Value) > 0,
            cancellationToken);

    private static BlobRecord Map(DbDataReader r)
        => new(new BlobKey(r.GetString(0)), new DeviceId(r.GetString(1)), r.GetInt64(2), r.GetInt64(3),
            DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)));
}
