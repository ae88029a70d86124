using Parley.Server.Franking;

namespace Parley.Server.Storage.Postgres;

/// <summary>Server secrets in the shared database, so every node seals and opens with the same key: the first
/// node to start inserts, every node then reads what was stored. A copy of the database then opens what the secret seals,
/// so the server warns at start; operators set <see cref="ParleyServerOptions.FrankingKey"/> on every node instead.</summary>
internal sealed class PostgresServerSecrets(PostgresDatabase database, ILogger<PostgresServerSecrets> logger) : IServerSecrets
{
    public byte[] GetOrCreate(string name, Func<byte[]> create)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(create);
        // Start-up only (the stamper is built once), so plain synchronous calls, as for the schema.
        logger.LogWarning("{Secret} is kept in the database, so a copy of the database opens the delivery stamps in it; " +
            "configure Parley:FrankingKey on every node to keep it apart (docs/privacy.md).", name);
        using Npgsql.NpgsqlConnection connection = database.DataSource.OpenConnection();
        byte[] candidate = create();
        try
        {
            using (var insert = connection.Command("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       [name, candidate]))
            {
                insert.ExecuteNonQuery();
            }
            using var select = connection.Command("SELECT value FROM server_secrets WHERE name = $1", [name]);
            return (byte[])select.ExecuteScalar()!;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(candidate);
        }
    }
}
