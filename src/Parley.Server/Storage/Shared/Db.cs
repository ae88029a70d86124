using System.Data.Common;

namespace Parley.Server.Storage.Shared;

/// <summary>One connection as the shared stores use it: parameterized statements ($1, $2, … bound by the engine),
/// run synchronously where the engine's driver completes inline (SQLite, so its writer never waits on a task) and
/// asynchronously where it does input and output (PostgreSQL).</summary>
internal readonly struct Db
{
    private readonly SqlEngine _engine;
    private readonly bool _synchronous;

    /// <summary>Wraps <paramref name="connection"/> of <paramref name="engine"/>.</summary>
    public Db(SqlEngine engine, DbConnection connection, CancellationToken cancellationToken)
    {
        _engine = engine;
        _synchronous = engine.Synchronous;
        Connection = connection;
        CancellationToken = cancellationToken;
    }

    /// <summary>The open connection (inside the write's transaction for a write).</summary>
    public DbConnection Connection { get; }

    /// <summary>Cancels the statements of a read (a write, once queued, is not cancelled).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The engine's dialect: the pieces of SQL that differ between engines.</summary>
    public SqlDialect Dialect => _engine.Dialect;

    /// <summary>Unix seconds of <paramref name="time"/> (times are stored as integer seconds in every engine).</summary>
    public static long UnixSeconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    /// <summary>A boolean column's value read as a scalar (PostgreSQL returns a bool, SQLite the integer 0 or 1).</summary>
    public static bool Flag(object value) => Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An integer scalar's value (a count or a sum) as a long, whatever integer type the driver returns.</summary>
    public static long Integer(object? value) => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A command with <paramref name="arguments"/> bound to $1, $2, … in order (null as SQL NULL); give it back with
    /// <see cref="ReleaseAsync"/> (on SQLite a statement stays prepared for the next use).</summary>
    public DbCommand Command(string sql, object?[] arguments)
    {
        DbCommand command = _engine.Command(Connection, sql);
        for (int i = 0; i < arguments.Length; i++)
        {
            DbParameter parameter = command.CreateParameter();
            _engine.Name(parameter, i + 1);
            parameter.Value = arguments[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>Gives back a command from <see cref="Command"/>.</summary>
    public ValueTask ReleaseAsync(DbCommand command) => _engine.ReleaseAsync(command);

    /// <summary>Runs a statement and returns the number of rows it changed.</summary>
    public async ValueTask<int> ExecuteAsync(string sql, params object?[] arguments)
    {
        DbCommand command = Command(sql, arguments);
        try
        {
            return _synchronous ? command.ExecuteNonQuery() : await command.ExecuteNonQueryAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await ReleaseAsync(command).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a query and returns the first column of the first row, or null.</summary>
    public async ValueTask<object?> ScalarAsync(string sql, params object?[] arguments)
    {
        DbCommand command = Command(sql, arguments);
        try
        {
            object? value = _synchronous ? command.ExecuteScalar() : await command.ExecuteScalarAsync(CancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
        finally
        {
            await ReleaseAsync(command).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a query and maps every row.</summary>
    public async ValueTask<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, params object?[] arguments)
    {
        DbCommand command = Command(sql, arguments);
        try
        {
            await using DbDataReader reader = _synchronous ? command.ExecuteReader() : await command.ExecuteReaderAsync(CancellationToken).ConfigureAwait(false);
            var rows = new List<T>();
            while (_synchronous ? reader.Read() : await reader.ReadAsync(CancellationToken).ConfigureAwait(false))
            {
                rows.Add(map(reader));
            }
            return rows;
        }
        finally
        {
            await ReleaseAsync(command).ConfigureAwait(false);
        }
    }

    /// <summary>The first row mapped, or the default when there is none.</summary>
    public async ValueTask<T?> FirstAsync<T>(string sql, Func<DbDataReader, T> map, params object?[] arguments)
    {
        List<T> rows = await QueryAsync(sql, map, arguments).ConfigureAwait(false);
        return rows.Count == 0 ? default : rows[0];
    }
}
