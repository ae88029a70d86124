using Parley.Server.Devices;

namespace Parley.Server.Mailboxes;

/// <summary>A message waiting in a device's mailbox: its order in the mailbox, the sender's id for
/// it, the MLSMessage bytes, and for a franked application message the sealed delivery stamp.</summary>
public sealed record MailboxMessage(long Sequence, string Id, byte[] Message, byte[]? Stamp = null);

/// <summary>Persistence of per-device mailboxes. Copies are written by the group store when a
/// submission is accepted; a device reads only its own mailbox and deletes by acknowledging.</summary>
public interface IMailboxStore
{
    /// <summary>Up to <paramref name="limit"/> messages of <paramref name="device"/> after
    /// <paramref name="afterSequence"/>, oldest first, that have not expired.</summary>
    Task<IReadOnlyList<MailboxMessage>> ReadAsync(DeviceId device, long afterSequence, int limit, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>Deletes the device's copy of message <paramref name="messageId"/>; false if there was none.</summary>
    Task<bool> AcknowledgeAsync(DeviceId device, string messageId, CancellationToken cancellationToken);

    /// <summary>Deletes the device's copies of <paramref name="messageIds"/> in one write (a batched acknowledgement);
    /// returns how many there were.</summary>
    Task<int> AcknowledgeAsync(DeviceId device, IReadOnlyList<string> messageIds, CancellationToken cancellationToken);

    /// <summary>Deletes expired messages and expired idempotency records; returns how many messages went.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
