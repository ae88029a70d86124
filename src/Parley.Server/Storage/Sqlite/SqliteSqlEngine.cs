using System.Data.Common;
using Microsoft.Data.Sqlite;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Sqlite;

/// <summary>SQLite under the shared stores: named parameters <c>$1</c>, <c>$2</c>, …, reads on a pooled connection,
/// writes on the single <see cref="SqliteWriter"/>. Microsoft.Data.Sqlite does no input or output asynchronously, so
/// every statement runs synchronously and a write finishes inside the writer's loop without a task switch.</summary>
internal sealed class SqliteSqlEngine(SqliteDatabase database) : SqlEngine(database.Time)
{
    private static readonly SqlDialect SqliteDialect = new(ForUpdate: "", ForUpdateSkipLocked: "", RowIds: true,
        UsernameDirectory: false, MailboxHeads: false);

    public override SqlDialect Dialect => SqliteDialect;

    public override bool Synchronous => true;

    public override void Name(DbParameter parameter, int position) => parameter.ParameterName = "$" + position;

    public override Task<T> ReadAsync<T>(Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
        => Task.FromResult(database.Read(connection => Finished(work(new Db(this, connection, cancellationToken)))));

    /// <summary>A kept, prepared statement on the writer's connection and the kept read connections (<see cref="Sql.PrepareOnce"/>).</summary>
    public override DbCommand Command(DbConnection connection, string sql) => ((SqliteConnection)connection).Command(sql);

    /// <summary>A kept statement stays prepared (its parameters dropped); any other is disposed.</summary>
    public override ValueTask ReleaseAsync(DbCommand command)
    {
        ((SqliteCommand)command).Release();
        return ValueTask.CompletedTask;
    }

    public override Task<T> WriteAsync<T>(WriteKeys keys, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => Finished(work(new Db(this, connection, CancellationToken.None))), cancellationToken);

    /// <summary>One writer runs at a time: every write is already in turn.</summary>
    public override Task<T> WriteInTurnAsync<T>(long lockKey, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
        => WriteAsync(default, work, cancellationToken);

    /// <summary>Waits for nothing: <paramref name="work"/> ran synchronously on a SQLite connection (its exception is
    /// rethrown as it was).</summary>
    internal static void Finished(ValueTask work)
    {
        if (!work.IsCompleted)
        {
            throw new InvalidOperationException("SQLite work must complete synchronously.");
        }
        work.GetAwaiter().GetResult();
    }

    /// <summary>The result of work that ran synchronously (its exception rethrown as it was).</summary>
    private static T Finished<T>(ValueTask<T> work)
        => work.IsCompleted
            ? work.GetAwaiter().GetResult()
            : throw new InvalidOperationException("SQLite work must complete synchronously.");
}
