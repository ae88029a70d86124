// A delivery the receive pipeline refuses for good: it is acknowledged and reported as dropped, without
// its content, so it never blocks the mailbox.
namespace Parley.Client.Sync;

/// <summary>A delivery this device will never be able to process; the message says why (and names no content).</summary>
internal sealed class DeliveryRejected(string reason) : Exception(reason);
