using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Small helpers to run parameterized SQL on a connection. On a connection given to <see cref="PrepareOnce"/> (the
/// writer's), every statement is prepared once and kept: the writer runs the same few statements for every message, and
/// preparing them again each time was a large part of its work (docs/benchmarks.md, "Sealed beside authenticated").</summary>
internal static class Sql
{
    // A bound on the statements kept per connection; the writer's statements are a fixed set far below it.
    private const int MaxKeptStatements = 256;

    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Kept = [];

    /// <summary>Keeps the statements run on <paramref name="connection"/> prepared from now on. Only for a connection one
    /// thread uses at a time, such as the writer's.</summary>
    public static void PrepareOnce(SqliteConnection connection) => Kept.AddOrUpdate(connection, new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));

    /// <summary>A command with <paramref name="parameters"/> bound by name ($name). Dispose it with <see cref="Release"/>.</summary>
    public static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand? command = null;
        if (Kept.TryGetValue(connection, out Dictionary<string, SqliteCommand>? kept) && !kept.TryGetValue(sql, out command)
            && kept.Count < MaxKeptStatements)
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            kept.Add(sql, command);
        }
        if (command is null)
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
        }
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    /// <summary>Done with a command from <see cref="Command"/>: a kept one drops its parameters (so it holds no message
    /// after the statement ran) and stays prepared; any other is disposed.</summary>
    public static void Release(this SqliteCommand command)
    {
        if (command.Connection is { } connection && Kept.TryGetValue(connection, out Dictionary<string, SqliteCommand>? kept)
            && kept.TryGetValue(command.CommandText, out SqliteCommand? same) && ReferenceEquals(same, command))
        {
            command.Parameters.Clear();
            return;
        }
        command.Dispose();
    }

    /// <summary>Drops the statements kept for <paramref name="connection"/>, before it closes.</summary>
    public static void DisposeKept(SqliteConnection connection)
    {
        if (Kept.TryGetValue(connection, out Dictionary<string, SqliteCommand>? kept))
        {
            foreach (SqliteCommand command in kept.Values)
            {
                command.Dispose();
            }
            Kept.Remove(connection);
        }
    }

    /// <summary>Runs a statement and returns the number of rows changed.</summary>
    public static int Execute(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.Command(sql, parameters);
        try
        {
            return command.ExecuteNonQuery();
        }
        finally
        {
            command.Release();
        }
    }

    /// <summary>Runs a query and returns the first column of the first row, or null.</summary>
    public static object? Scalar(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.Command(sql, parameters);
        try
        {
            object? value = command.ExecuteScalar();
            return value is DBNull ? null : value;
        }
        finally
        {
            command.Release();
        }
    }

    /// <summary>Runs a query and maps every row.</summary>
    public static List<T> Query<T>(this SqliteConnection connection, string sql, Func<SqliteDataReader, T> map,
        params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.Command(sql, parameters);
        try
        {
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(map(reader));
            }
            return rows;
        }
        finally
        {
            command.Release();
        }
    }

    /// <summary>Unix seconds of <paramref name="time"/>.</summary>
    public static long UnixSeconds(DateTimeOffset time) => time.ToUnixTimeSeconds();
}
