using Microsoft.Extensions.Options;
using Npgsql;
using Parley.Server.Operations;

namespace Parley.Server.Storage.Postgres;

/// <summary>The shared PostgreSQL database of one or many server nodes: a pooled data source, the
/// schema migrated at start-up, and the <see cref="PostgresWriter"/> through which every write goes.
/// Chosen when <see cref="ParleyServerOptions.Postgres"/> holds a connection string.</summary>
public sealed class PostgresDatabase : IStorageEngine, IAsyncDisposable
{
    public PostgresDatabase(IOptions<ParleyServerOptions> options, TimeProvider time, ServerMetrics metrics,
        ILogger<PostgresDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        string connectionString = options.Value.Postgres
            ?? throw new InvalidOperationException("Parley:Postgres holds no connection string.");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Statements repeat endlessly; let Npgsql prepare the hot ones unless the operator chose otherwise.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }
        builder.ConnectionStringBuilder.ApplicationName ??= "parley-server";
        DataSource = builder.Build();
        PostgresSchema.Migrate(DataSource);
        PostgresSafetySchema.Apply(DataSource);
        PostgresChannelSchema.Create(DataSource);
        Writer = new PostgresWriter(DataSource, options.Value.MaxWriteBatch, options.Value.PostgresWriters, metrics, logger);
        Time = time;
    }

    /// <inheritdoc />
    public string Name => "postgres";

    /// <summary>The pooled data source (reads use it directly; they see the last committed state).</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The group-commit writer every change goes through.</summary>
    public PostgresWriter Writer { get; }

    /// <summary>The clock the stores use for expiry.</summary>
    public TimeProvider Time { get; }

    /// <summary>Opens a pooled connection for reading.</summary>
    public ValueTask<NpgsqlConnection> OpenReadAsync(CancellationToken cancellationToken)
        => DataSource.OpenConnectionAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using NpgsqlConnection connection = await OpenReadAsync(cancellationToken);
            return await connection.ScalarAsync("SELECT 1", [], cancellationToken) is int;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
