using System.Data.Common;

namespace Parley.Server.Storage.Shared;

/// <summary>The seam between the shared stores (<c>Sql*Store</c>) and one database engine. A shared store owns the
/// flow of every operation and its statements; the engine supplies only what differs: how parameters are named, the
/// few pieces of dialect in <see cref="Dialect"/>, and its transaction primitives (how a read opens a connection, how
/// a write reaches the engine's writer, how a write is refused and undone). A new engine plugs in here.</summary>
internal abstract class SqlEngine(TimeProvider time)
{
    /// <summary>The clock the stores use for expiry and for the times they record.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>The pieces of SQL that differ between engines.</summary>
    public abstract SqlDialect Dialect { get; }

    /// <summary>Whether the driver completes every call inline, so statements run synchronously (no task per
    /// statement); the engine's writer then runs the work to its end without waiting.</summary>
    public abstract bool Synchronous { get; }

    /// <summary>Names <paramref name="parameter"/> so that it binds to <c>$position</c> in the statement.</summary>
    public abstract void Name(DbParameter parameter, int position);

    /// <summary>A command for <paramref name="sql"/> on <paramref name="connection"/>, without parameters; give it back with
    /// <see cref="ReleaseAsync"/>.</summary>
    public virtual DbCommand Command(DbConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    /// <summary>Done with a command from <see cref="Command"/>.</summary>
    public virtual ValueTask ReleaseAsync(DbCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.DisposeAsync();
    }

    /// <summary>Runs <paramref name="work"/> on a connection for reading (it sees the last committed state).</summary>
    public abstract Task<T> ReadAsync<T>(Func<Db, ValueTask<T>> work, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> inside the engine's writer and returns its result once the transaction
    /// holding it has committed. If the work throws, its changes are undone and the exception is rethrown here.
    /// <paramref name="keys"/> name the rows it will lock, for engines that lock rows in a global order.</summary>
    public abstract Task<T> WriteAsync<T>(WriteKeys keys, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/>, which locks no group row and changes no device's rows, in the writer.</summary>
    public Task<T> WriteAsync<T>(Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
        => WriteAsync(default, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in the writer; a <see cref="StoreRollback{T}"/> it throws undoes its changes
    /// and its outcome is returned.</summary>
    public async Task<T> WriteOrRefuseAsync<T>(WriteKeys keys, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync(keys, work, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreRollback<T> rollback)
        {
            return rollback.Outcome;
        }
    }

    /// <summary>Runs <paramref name="work"/> as a write that no other write under <paramref name="lockKey"/>, on this
    /// node or another, runs beside (an append to a chain that reads its last link).</summary>
    public abstract Task<T> WriteInTurnAsync<T>(long lockKey, Func<Db, ValueTask<T>> work, CancellationToken cancellationToken);
}

/// <summary>The pieces of SQL that differ between engines; everything else the shared stores write once.</summary>
/// <param name="ForUpdate">Appended to a SELECT whose rows the write goes on to change (a row lock, or nothing where one writer
/// runs at a time).</param>
/// <param name="ForUpdateSkipLocked">Appended to a SELECT of rows a sweep takes, skipping rows another node's sweep holds.</param>
/// <param name="RowIds">Whether every table has an implicit <c>rowid</c> in insertion order (SQLite), which orders rows
/// as they were added where PostgreSQL keeps an identity column for it.</param>
/// <param name="UsernameDirectory">Whether usernames are unique in a table of their own (<c>usernames</c>, keyed and
/// distributable by username) rather than by a unique column of <c>accounts</c>.</param>
/// <param name="MailboxHeads">Whether every device has a row in <c>mailbox_heads</c>, the row its writes lock first.</param>
internal sealed record SqlDialect(string ForUpdate, string ForUpdateSkipLocked, bool RowIds, bool UsernameDirectory, bool MailboxHeads)
{
    /// <summary>What orders a table's rows as they were added: <c>rowid</c>, or the table's own
    /// <paramref name="identityColumn"/>.</summary>
    public string InsertionOrder(string identityColumn) => RowIds ? "rowid" : identityColumn;
}
