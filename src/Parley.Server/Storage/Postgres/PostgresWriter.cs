using System.Threading.Channels;
using Npgsql;
using Parley.Server.Operations;
using Parley.Server.Storage.Shared;

namespace Parley.Server.Storage.Postgres;

/// <summary>Group commit for PostgreSQL. Requests queue their work on a channel; a few loops (each
/// with its own connection) take whatever is waiting, up to a batch limit, run it in one
/// transaction, commit once and only then complete every request: "done" means committed, and
/// concurrent writers share one WAL flush. Pieces report outcomes rather than throw; when one does
/// throw, the batch is rolled back and each piece runs again in a transaction of its own (cheaper
/// than a savepoint around every piece). Work that lost a deadlock (which the lock order makes
/// rare, since every node's batches follow the same order) runs again in a later batch.</summary>
public sealed class PostgresWriter : IAsyncDisposable
{
    private const int MaxAttempts = 4;
    private const string PreLock =
        "SELECT device_id FROM mailbox_heads WHERE device_id = ANY($1) ORDER BY device_id FOR UPDATE";

    private readonly NpgsqlDataSource _dataSource;
    private readonly int _maxBatch;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<WriteOperation> _queue = Channel.CreateUnbounded<WriteOperation>();
    private readonly Task[] _loops;

    internal PostgresWriter(NpgsqlDataSource dataSource, int maxBatch, int loops, ServerMetrics metrics, ILogger logger)
    {
        _dataSource = dataSource;
        _maxBatch = Math.Max(1, maxBatch);
        _metrics = metrics;
        _logger = logger;
        _loops = Enumerable.Range(0, Math.Max(1, loops)).Select(_ => Task.Run(RunAsync)).ToArray();
    }

    /// <summary>Runs <paramref name="work"/> inside a batch transaction and returns its result once
    /// that transaction has committed. If the work throws, only its own changes are rolled back and
    /// the exception is rethrown here. Once queued, the work is not cancelled.</summary>
    internal Task<T> ExecuteAsync<T>(WriteKeys keys, Func<NpgsqlConnection, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<T>(keys, work);
        Enqueue(operation);
        return operation.Completion.Task;
    }

    /// <summary>Runs <paramref name="work"/>, which locks no group row and changes no device's rows.</summary>
    internal Task<T> ExecuteAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
        => ExecuteAsync(default, work, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private void Enqueue(WriteOperation operation)
    {
        if (!_queue.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(PostgresWriter));
        }
        _metrics.WriteQueued();
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
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await RunBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogError(ex, "A storage batch failed outside its transaction");
                foreach (WriteOperation operation in batch)
                {
                    operation.Fail(ex);
                }
            }
            batch.Clear();
        }
    }

    private async Task RunBatchAsync(List<WriteOperation> batch)
    {
        if (batch.Count > 1)
        {
            // Lock order: every device head first (one sorted statement), then work that locks no
            // group, then group work sorted by group id. No savepoints: two round trips less per piece.
            List<WriteOperation> ordered = batch.Where(o => o.Keys.Group is null)
                .Concat(batch.Where(o => o.Keys.Group is not null).OrderBy(o => o.Keys.Group, StringComparer.Ordinal))
                .ToList();
            if (await RunAsync(ordered) != Ending.PieceFailed)
            {
                batch.ForEach(Finish);
                return;
            }
        }
        // Alone, or a piece of the batch threw and everything was rolled back: each piece in a
        // transaction of its own, so a failure undoes only its own work. (Rare: pieces report
        // outcomes rather than throw.)
        foreach (WriteOperation operation in batch)
        {
            await RunAsync([operation]);
            Finish(operation);
        }
    }

    private enum Ending
    {
        /// <summary>Committed: every piece holds its result.</summary>
        Committed,

        /// <summary>A piece threw (it holds its exception); everything was rolled back.</summary>
        PieceFailed,

        /// <summary>The connection or the commit failed: every piece holds that exception.</summary>
        Broken,
    }

    /// <summary>Runs <paramref name="operations"/> in one transaction, the device heads they name locked first.</summary>
    private async Task<Ending> RunAsync(List<WriteOperation> operations)
    {
        string[] devices = operations.SelectMany(o => o.Keys.Devices ?? []).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToArray();
        foreach (WriteOperation operation in operations)
        {
            operation.Failed = null;
        }
        try
        {
            await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            if (devices.Length > 0)
            {
                await connection.QueryAsync(PreLock, [devices], static r => 0, CancellationToken.None).ConfigureAwait(false);
            }
            foreach (WriteOperation operation in operations)
            {
                try
                {
                    await operation.RunAsync(connection).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && connection.FullState == System.Data.ConnectionState.Open)
                {
                    operation.Failed = ex;
                    await transaction.RollbackAsync().ConfigureAwait(false);
                    return Ending.PieceFailed;
                }
            }
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            await transaction.CommitAsync().ConfigureAwait(false);
            _metrics.CommitCompleted("postgres", System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return Ending.Committed;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            foreach (WriteOperation operation in operations)
            {
                operation.Failed = ex;
            }
            return Ending.Broken;
        }
    }

    /// <summary>Completes a piece with its result or exception, or queues it again after a deadlock.</summary>
    private void Finish(WriteOperation operation)
    {
        if (operation.Failed is { } failure && Pg.IsRetryable(failure) && ++operation.Attempts < MaxAttempts)
        {
            Enqueue(operation);
        }
        else
        {
            operation.Complete();
        }
    }

    private abstract class WriteOperation(WriteKeys keys)
    {
        public WriteKeys Keys { get; } = keys;

        public Exception? Failed { get; set; }

        public int Attempts { get; set; }

        public abstract Task RunAsync(NpgsqlConnection connection);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteOperation<T>(WriteKeys keys, Func<NpgsqlConnection, CancellationToken, Task<T>> work) : WriteOperation(keys)
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunAsync(NpgsqlConnection connection) => _result = await work(connection, CancellationToken.None).ConfigureAwait(false);

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
