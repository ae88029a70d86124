using Npgsql;

namespace Parley.Server.Storage.Postgres;

/// <summary>Small helpers to run SQL with positional parameters ($1, $2, …) on a connection.</summary>
internal static class Pg
{
    /// <summary>PostgreSQL's error code for a transaction chosen as a deadlock victim.</summary>
    public const string DeadlockDetected = "40P01";

    /// <summary>PostgreSQL's error code for a serialization failure.</summary>
    public const string SerializationFailure = "40001";

    /// <summary>A command with <paramref name="arguments"/> bound to $1, $2, … in order (null as SQL NULL).</summary>
    public static NpgsqlCommand Command(this NpgsqlConnection connection, string sql, object?[] arguments)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (object? argument in arguments)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = argument ?? DBNull.Value });
        }
        return command;
    }

    /// <summary>Runs a statement and returns the number of rows it changed.</summary>
    public static async Task<int> ExecuteAsync(this NpgsqlConnection connection, string sql, object?[] arguments,
        CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = connection.Command(sql, arguments);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a query and returns the first column of the first row, or null.</summary>
    public static async Task<object?> ScalarAsync(this NpgsqlConnection connection, string sql, object?[] arguments,
        CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = connection.Command(sql, arguments);
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>Runs a query and maps every row.</summary>
    public static async Task<List<T>> QueryAsync<T>(this NpgsqlConnection connection, string sql, object?[] arguments,
        Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = connection.Command(sql, arguments);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    /// <summary>Unix seconds of <paramref name="time"/> (times are stored as bigint seconds, as in SQLite).</summary>
    public static long UnixSeconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    /// <summary>Whether <paramref name="exception"/> is a lock conflict that running the work again resolves.</summary>
    public static bool IsRetryable(Exception exception)
        => exception is PostgresException { SqlState: DeadlockDetected or SerializationFailure };
}
