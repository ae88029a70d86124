// Disappearing messages: every device deletes expired messages and their attachment keys and files, on
// schedule (a timer set for the earliest expiry), and leaves them out of every read until then.
using Parley.Client.Conversations;
using Parley.Client.Messages;

namespace Parley.Client.Storage;

/// <summary>What one expiry pass deleted.</summary>
public sealed record ExpiryReport(int Messages, int Attachments);

public sealed partial class ClientStore
{
    // The longest a timer is set for: a later expiry is looked at again then.
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);

    private readonly object _expiryGate = new();
    private ITimer? _expiryTimer;
    private Task _expiryPass = Task.CompletedTask;

    /// <summary>Deletes every message whose expiry has passed on the store's clock, with its attachments
    /// (records, keys and local files), and attachments past their own expiry. The store also does this by itself
    /// when the earliest expiry comes.</summary>
    public Task<ExpiryReport> ExpireMessagesAsync(CancellationToken cancellationToken = default)
        => ExpireMessagesAsync(Time.GetUtcNow(), cancellationToken);

    /// <summary>Deletes what expired at or before <paramref name="now"/>. The schedule is kept in memory (expiry
    /// times are encrypted on disk), so the first call waits for the background index.</summary>
    public async Task<ExpiryReport> ExpireMessagesAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var due = await _index.DueAsync(now, cancellationToken).ConfigureAwait(false);
        var dueSet = due.Select(d => d.Value).ToHashSet();
        int attachments = 0;
        var transaction = await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        using (transaction)
        {
            foreach (var attachment in transaction.ReadAllAttachments())
            {
                bool carrierDue = attachment.Message is { } m && dueSet.Contains(m.Value);
                if (carrierDue || attachment.ExpiresAt <= now)
                {
                    transaction.DeleteAttachment(attachment.Id);
                    attachments++;
                }
            }
            transaction.DeleteMessages(dueSet, adjustUnread: true);
            transaction.Commit();
        }
        return new ExpiryReport(due.Count, attachments);
    }

    /// <summary>The earliest pending expiry, or null (known once <see cref="IndexReady"/> completed).</summary>
    public DateTimeOffset? NextExpiry => _index.NextExpiry;

    /// <summary>Every conversation, most recently active first, with unread counts that leave out expired messages
    /// the store has not deleted yet (waits for the background index).</summary>
    public async Task<IReadOnlyList<Conversation>> ConversationsAsync(CancellationToken cancellationToken = default)
    {
        await _index.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        var expired = _index.ExpiredUnread(Time.GetUtcNow());
        return Conversations.Select(c => expired.TryGetValue(c.Id, out int gone) ? c with { UnreadCount = Math.Max(0, c.UnreadCount - gone) } : c).ToList();
    }

    private static bool IsExpired(StoredMessage message, DateTimeOffset now) => message.ExpiresAt <= now;

    private StoredMessage? Unexpired(StoredMessage? message) => message is not null && IsExpired(message, Time.GetUtcNow()) ? null : message;

    private void StartExpirySchedule()
    {
        _expiryTimer = Time.CreateTimer(_ => RunScheduledExpiry(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _index.Ready.ContinueWith(_ => ScheduleExpiry(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    // Sets the timer for the earliest expiry (after every commit that changed the index).
    private void ScheduleExpiry()
    {
        if (!_index.Ready.IsCompletedSuccessfully)
        {
            return;
        }
        var next = _index.NextExpiry;
        lock (_expiryGate)
        {
            if (_expiryTimer is null)
            {
                return;
            }
            var wait = next is { } at ? at - Time.GetUtcNow() : Timeout.InfiniteTimeSpan;
            _expiryTimer.Change(next is null ? wait : wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestWait ? LongestWait : wait,
                Timeout.InfiniteTimeSpan);
        }
    }

    private void RunScheduledExpiry()
    {
        lock (_expiryGate)
        {
            if (_expiryTimer is null || !_expiryPass.IsCompleted)
            {
                return;
            }
            _expiryPass = Task.Run(async () =>
            {
                try
                {
                    var report = await ExpireMessagesAsync().ConfigureAwait(false);
                    if (report.Messages == 0)
                    {
                        // Nothing was due yet (a timer set for a later expiry fired early): set it again.
                        ScheduleExpiry();
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The store closed meanwhile, or the pass failed: the next commit or sync runs it again.
                }
            });
        }
    }

    // Before the store closes: no new pass starts, and a running one finishes (it holds the write lock while it writes).
    private void StopExpirySchedule()
    {
        Task running;
        lock (_expiryGate)
        {
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            running = _expiryPass;
        }
        try
        {
            running.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Reported nowhere: the store is closing.
        }
    }
}
