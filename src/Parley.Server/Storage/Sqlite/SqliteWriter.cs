using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Parley.Server.Operations;

namespace Parley.Server.Storage.Sqlite;

/// <summary>The one writer of the database. Requests queue their work on a channel; a single loop
/// takes whatever is waiting (up to a batch limit), runs each piece in its own savepoint inside one
/// transaction, commits once, and only then completes every request. Concurrent writes therefore
/// share one durable flush (group commit) while "done" still means "on disk".</summary>
public sealed class SqliteWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly int _maxBatch;
    private readonly ServerMetrics _metrics;
    private readonly Channel<WriteOperation> _queue = Channel.CreateUnbounded<WriteOperation>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    internal SqliteWriter(SqliteConnection connection, int maxBatch, ServerMetrics metrics)
    {
        _connection = connection;
        _maxBatch = Math.Max(1, maxBatch);
        _metrics = metrics;
        Sql.PrepareOnce(connection);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection inside a transaction and
    /// returns its result once the transaction holding it has committed. If the work throws, only
    /// its own changes are rolled back and the exception is rethrown here.</summary>
    public Task<T> ExecuteAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<T>(work);
        if (!_queue.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteWriter));
        }
        _metrics.WriteQueued();
        // The write is not cancelled once queued: a caller that gives up must not leave the
        // outcome unknown to the next retry, which the idempotency keys resolve anyway.
        return operation.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        Sql.DisposeKept(_connection);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteOperation>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out WriteOperation? operation))
            {
                _metrics.WriteDequeued();
                batch.Add(operation);
            }
            RunBatch(batch);
            batch.Clear();
        }
    }

    private void RunBatch(List<WriteOperation> batch)
    {
        try
        {
            Execute("BEGIN IMMEDIATE");
            foreach (WriteOperation operation in batch)
            {
                Execute("SAVEPOINT op");
                try
                {
                    operation.Run(_connection);
                    Execute("RELEASE op");
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Execute("ROLLBACK TO op");
                    Execute("RELEASE op");
                    operation.Failed = ex;
                }
            }
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            Execute("COMMIT");
            _metrics.CommitCompleted("sqlite", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex)
        {
            TryRollback();
            foreach (WriteOperation operation in batch)
            {
                operation.Fail(ex);
            }
            return;
        }
        foreach (WriteOperation operation in batch)
        {
            operation.Complete();
        }
    }

    private void TryRollback()
    {
        try
        {
            if (!_connection.AutoCommit())
            {
                Execute("ROLLBACK");
            }
        }
        catch (SqliteException)
        {
            // The transaction is already gone; nothing more to undo.
        }
    }

    private void Execute(string sql) => _connection.Execute(sql);

    private abstract class WriteOperation
    {
        public Exception? Failed { get; set; }

        public abstract void Run(SqliteConnection connection);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteOperation<T>(Func<SqliteConnection, T> work) : WriteOperation
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(SqliteConnection connection) => _result = work(connection);

        public override void Complete()
        {
            if (Failed is not null)
            {
                Completion.TrySetException(Failed);
            }
            else
            {
                Completion.TrySetResult(_result!);
            }
        }

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}

internal static class SqliteConnectionExtensions
{
    /// <summary>True when no transaction is open on the connection.</summary>
    public static bool AutoCommit(this SqliteConnection connection)
        => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0;
}
