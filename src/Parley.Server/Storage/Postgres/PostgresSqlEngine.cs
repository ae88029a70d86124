using System.Data.Common;
using Npgsql;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>PostgreSQL under the shared stores: positional parameters <c>$1</c>, <c>$2</c>, …, reads on the pooled
/// data source, writes through the group-commit <see cref="PostgresWriter"/> (which takes the row locks their
/// <see cref="WriteKeys"/> name in one global order), row locks where a statement asks for them.</summary>
internal sealed class PostgresSqlEngine(PostgresDatabase database) : SqlEngine(database.Time)
{
    private static readonly SqlDialect PostgresDialect = new(
        ForUpdate: " FOR UPDATE", ForUpdateSkipLocked: " FOR UPDATE SKIP LOCKED", RowIds: false,
        UsernameDirectory: true, MailboxHeads: true);

    public override SqlDialect Dialect => PostgresDialect;

    public override bool Synchronous => false;

    /// <summary>Npgsql binds unnamed parameters to $1, $2, … in the order they were added.</summary>
    public override void Name(DbParameter parameter, int position)
    {
    }

    public override async Task<T> ReadAsync<T>(Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        return await work(new Db(this, connection, cancellationToken)).ConfigureAwait(false);
    }

    public override Task<T> WriteAsync<T>(WriteKeys keys, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(keys, (connection, ct) => work(new Db(this, connection, ct)).AsTask(), cancellationToken);

    /// <summary>A transaction of its own (not the writer's batch) that first takes an advisory lock on
    /// <paramref name="lockKey"/>, so writes in turn from several nodes run one after another.</summary>
    public override async Task<T> WriteInTurnAsync<T>(long lockKey, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var db = new Db(this, connection, cancellationToken);
        await db.ExecuteAsync("SELECT pg_advisory_xact_lock($1)", lockKey).ConfigureAwait(false);
        T result = await work(db).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }
}
