using Parley.Server.Franking;

namespace Parley.Server.Storage.Postgres;

/// <summary>Server secrets in the shared database, so every node seals and opens with the same key: the first
/// node to start inserts, every node then reads what was stored.</summary>
internal sealed class PostgresServerSecrets(PostgresDatabase database) : IServerSecrets
{
    public byte[] GetOrCreate(string name, Func<byte[]> create)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(create);
        // Start-up only (the stamper is built once), so plain synchronous calls, as for the schema.
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
