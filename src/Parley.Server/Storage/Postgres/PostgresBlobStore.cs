using Npgsql;
using Parley.Server.Blobs;
using Parley.Server.Devices;

namespace Parley.Server.Storage.Postgres;

/// <summary>Blob metadata in PostgreSQL, keyed by the blob key (a hash of the id, never the id).
/// The bytes stay in <see cref="BlobFiles"/> under the data folder, which nodes must share.</summary>
internal sealed class PostgresBlobStore(PostgresDatabase database) : IBlobStore
{
    private const string Columns = "blob_key, device_id, size, received, expires_at";

    public Task<CreateBlobOutcome> CreateAsync(BlobRecord blob, long deviceQuota, DateTimeOffset now, CancellationToken cancellationToken)
        // The uploader's head is locked first, so two nodes creating blobs for one device check the quota in turn.
        => database.Writer.ExecuteAsync(WriteKeys.Device(blob.Uploader.Value), async (connection, ct) =>
        {
            long held = (long)(await connection.ScalarAsync(
                "SELECT coalesce(sum(size), 0)::bigint FROM blobs WHERE device_id = $1 AND expires_at > $2",
                [blob.Uploader.Value, Pg.UnixSeconds(now)], ct))!;
            if (held + blob.Size > deviceQuota)
            {
                return CreateBlobOutcome.QuotaExceeded;
            }
            await connection.ExecuteAsync(
                "INSERT INTO blobs (blob_key, device_id, size, received, expires_at) VALUES ($1, $2, $3, $4, $5)",
                [blob.Key.Value, blob.Uploader.Value, blob.Size, blob.Received, Pg.UnixSeconds(blob.ExpiresAt)], ct);
            return CreateBlobOutcome.Created;
        }, cancellationToken);

    public async Task<BlobRecord?> FindAsync(BlobKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return (await connection.QueryAsync($"SELECT {Columns} FROM blobs WHERE blob_key = $1 AND expires_at > $2",
            [key.Value, Pg.UnixSeconds(now)], Map, cancellationToken)).FirstOrDefault();
    }

    public Task<bool> RecordReceivedAsync(BlobKey key, long received, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "UPDATE blobs SET received = $2, expires_at = $3 WHERE blob_key = $1",
            [key.Value, received, Pg.UnixSeconds(expiresAt)], ct) > 0, cancellationToken);

    public async Task<IReadOnlyList<BlobKey>> ListExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.QueryAsync("SELECT blob_key FROM blobs WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
            [Pg.UnixSeconds(now), limit], static r => new BlobKey(r.GetString(0)), cancellationToken);
    }

    public async Task<bool> ExistsAsync(BlobKey key, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.ScalarAsync("SELECT 1 FROM blobs WHERE blob_key = $1", [key.Value], cancellationToken) is not null;
    }

    public Task<bool> DeleteAsync(BlobKey key, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "DELETE FROM blobs WHERE blob_key = $1", [key.Value], ct) > 0, cancellationToken);

    private static BlobRecord Map(NpgsqlDataReader r)
        => new(new BlobKey(r.GetString(0)), new DeviceId(r.GetString(1)), r.GetInt64(2), r.GetInt64(3),
            DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)));
}
