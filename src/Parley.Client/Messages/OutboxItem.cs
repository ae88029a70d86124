// What this device has encrypted and must still hand to the server.
using Parley.Client.Conversations;

namespace Parley.Client.Messages;

/// <summary>An outbox entry's local id.</summary>
public readonly record struct OutboxId(long Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What an outbox entry carries.</summary>
public enum OutboxKind : byte
{
    /// <summary>An application message (a PrivateMessage).</summary>
    Application = 1,

    /// <summary>A Commit (a PublicMessage), with a Welcome when it adds members; the group holds it as its
    /// pending Commit until the server accepts or rejects it.</summary>
    Commit = 2,
}

/// <summary>An MLS message stored, with the group state that produced it, before it is sent. Send it with
/// <see cref="DeliveryId"/> as the server message id (so a retry after a crash is idempotent), then tell
/// the device the outcome.</summary>
/// <param name="Id">The local id.</param>
/// <param name="Conversation">The conversation it belongs to.</param>
/// <param name="DeliveryId">The message id to send it under (the server's idempotency key).</param>
/// <param name="Kind">Application message or Commit.</param>
/// <param name="Message">The MLSMessage bytes.</param>
/// <param name="Welcome">For a Commit that adds members: the Welcome MLSMessage bytes.</param>
/// <param name="LocalMessage">The local message it sends, for application messages that are shown.</param>
/// <param name="AddedMembers">For a Commit: the accounts and devices it adds (recorded once accepted).</param>
public sealed record OutboxItem(
    OutboxId Id,
    ConversationId Conversation,
    string DeliveryId,
    OutboxKind Kind,
    byte[] Message,
    byte[]? Welcome,
    LocalMessageId? LocalMessage,
    IReadOnlyList<ConversationMember> AddedMembers)
{
    /// <summary>For a Commit: the GroupInfo of the epoch it starts (an MLSMessage), which the server verifies and keeps the
    /// new GroupContext from.</summary>
    public byte[]? GroupInfo { get; init; }
}
