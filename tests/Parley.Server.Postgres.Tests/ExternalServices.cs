using System.Diagnostics;
using Npgsql;

namespace Parley.Server.Postgres.Tests;

/// <summary>The PostgreSQL and Redis servers the tests use: taken from PARLEY_TEST_POSTGRES and
/// PARLEY_TEST_REDIS when set (scripts/test.sh sets them), else started by scripts/postgres.sh and
/// scripts/redis.sh (idempotent). If neither works the test fails: these tests never skip.</summary>
public static class ExternalServices
{
    private static readonly Lazy<Task<string>> PostgresServer = new(() => StartAsync("PARLEY_TEST_POSTGRES", "postgres.sh"));
    private static readonly Lazy<Task<string>> RedisServer = new(() => StartAsync("PARLEY_TEST_REDIS", "redis.sh"));

    /// <summary>The connection string of the test PostgreSQL server's maintenance database.</summary>
    public static Task<string> PostgresAsync() => PostgresServer.Value;

    /// <summary>The test Redis server as host:port.</summary>
    public static Task<string> RedisAsync() => RedisServer.Value;

    /// <summary>Creates an empty database of its own for one test and returns its connection string.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync()
    {
        string server = await PostgresAsync();
        string name = "parley_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase(server, name, builder.ConnectionString);
    }

    /// <summary>The repository's root (where Parley.slnx is).</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Parley.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (Parley.slnx) was not found above " + AppContext.BaseDirectory);
    }

    private static async Task<string> StartAsync(string variable, string script)
    {
        string? configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", script));
        info.ArgumentList.Add("start");
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"bash did not start {script}.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        string[] lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (process.ExitCode != 0 || lines.Length == 0)
        {
            throw new InvalidOperationException($"scripts/{script} start failed (exit {process.ExitCode}): {await errors}");
        }
        return lines[^1];
    }
}

/// <summary>A database created for one test; dropped (with any connections left) on dispose.</summary>
public sealed class TestDatabase(string server, string name, string connectionString) : IAsyncDisposable
{
    /// <summary>The connection string of this database.</summary>
    public string ConnectionString { get; } = connectionString;

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
