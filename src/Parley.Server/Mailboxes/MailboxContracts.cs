namespace Parley.Server.Mailboxes;

/// <summary>A message from the mailbox, as the HTTP API and the WebSocket deliver it.</summary>
/// <param name="Type">"message" (the WebSocket frame type).</param>
/// <param name="Stamp">The server's sealed franking stamp for this copy (franked application messages only), which
/// a report of the message must present (docs/safety.md); null otherwise.</param>
/// <param name="Sequence">The entry's position in the mailbox; the next page starts after it.</param>
/// <param name="Id">The sender's id for the message; acknowledging names it.</param>
/// <param name="Message">The MLSMessage bytes.</param>
public sealed record MailboxEntry(string Type, long Sequence, string Id, byte[] Message,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    byte[]? Stamp = null);

/// <summary>A page of the caller's mailbox.</summary>
public sealed record MailboxResponse(IReadOnlyList<MailboxEntry> Messages);

/// <summary>A frame a device sends on its WebSocket: <c>{"type":"ack","id":"…"}</c>.</summary>
public sealed record ClientFrame(string? Type, string? Id);
