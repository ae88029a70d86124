using Microsoft.Data.Sqlite;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The SQLite database as the server's <see cref="IStorageEngine"/>.</summary>
internal sealed class SqliteStorageEngine(SqliteDatabase database) : IStorageEngine
{
    public string Name => "sqlite";

    public Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using SqliteConnection connection = database.OpenRead();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return Task.FromResult(true);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }
}
