using System.Security.Cryptography;
using Npgsql;
using Parley.Server.Accounts;

namespace Parley.Server.Storage.Postgres;

/// <summary>Outstanding signing challenges in PostgreSQL, so a challenge issued by one node can be
/// redeemed on another. Rows hold a hash of the challenge; redeeming deletes the row (single use).</summary>
internal sealed class PostgresChallengeStore(PostgresDatabase database) : IChallengeStore
{
    public Task AddAsync(byte[] challenge, DateTimeOffset expiresAt, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync((connection, ct) => connection.ExecuteAsync(
            "INSERT INTO challenges (challenge_key, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [Key(challenge), Pg.UnixSeconds(expiresAt)], ct), cancellationToken);

    public async Task<bool> TryRedeemAsync(byte[] challenge, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One statement is atomic on its own: of two nodes redeeming the same challenge, one deletes it.
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM challenges WHERE challenge_key = $1 AND expires_at > $2",
            [Key(challenge), Pg.UnixSeconds(now)], cancellationToken) > 0;
    }

    private static byte[] Key(byte[] challenge) => SHA256.HashData(challenge);
}
