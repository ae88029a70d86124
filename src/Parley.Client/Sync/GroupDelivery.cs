// The stages a group message passes through (docs/architecture.md, "The receive pipeline"): decoded, then
// opened by its group (MLS decrypts and verifies it), then checked by the handler of its kind, which says
// what to change; the pipeline applies that in the delivery's one store transaction and emits the events.
using Parley.Client.Conversations;
using Parley.Client.Groups;
using Parley.Client.Storage;
using Parley.Mls.Group;

namespace Parley.Client.Sync;

/// <summary>A group message the group has processed (decrypted and verified by MLS), with the roster as it was
/// before, for the handler of its kind to check and turn into a <see cref="DeliveryEffect"/>.</summary>
/// <param name="DeliveryId">The mailbox entry's id, marked processed in the same transaction.</param>
/// <param name="Stamp">The server's delivery stamp (kept with received messages for reports).</param>
/// <param name="Conversation">The conversation of the group.</param>
/// <param name="Group">The group, already advanced by the message.</param>
/// <param name="MembersBefore">The accounts in the group before the message.</param>
/// <param name="LeavesBefore">The leaves of the group before the message.</param>
internal sealed record GroupDelivery(string DeliveryId, byte[]? Stamp, Conversation Conversation, MlsGroup Group,
    IReadOnlyList<ConversationMember> MembersBefore, IReadOnlyList<RosterLeaf> LeavesBefore);

/// <summary>What a handler decided for one delivery: <see cref="Apply"/> runs inside the delivery's store transaction
/// (which also saves the group state and marks the delivery processed) and adds the events to raise;
/// <see cref="Committed"/> runs once that transaction committed.</summary>
internal sealed record DeliveryEffect(Action<StoreTransaction, List<ClientEvent>>? Apply = null, Action<List<ClientEvent>>? Committed = null)
{
    /// <summary>Nothing beyond saving the group state (an own message echoed back).</summary>
    public static readonly DeliveryEffect None = new();
}
