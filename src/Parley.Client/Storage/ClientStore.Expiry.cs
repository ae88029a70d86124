// Disappearing messages: every device deletes expired messages and their attachment keys and files.
using Parley.Client.Messages;

namespace Parley.Client.Storage;

/// <summary>What one expiry pass deleted.</summary>
public sealed record ExpiryReport(int Messages, int Attachments);

public sealed partial class ClientStore
{
    /// <summary>Deletes every message whose expiry has passed on the store's clock, with its attachments
    /// (records, keys and local files), and attachments past their own expiry.</summary>
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
}
