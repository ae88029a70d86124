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

/// <summary>A frame a device sends on its WebSocket: <c>{"type":"ack","id":…}</c> for one message, or
/// <c>{"type":"ack","ids":[…]}</c> for 1 to <see cref="MaxAckIds"/> (docs/server-protocol.md, "the delivery WebSocket").</summary>
/// <param name="Type">"ack".</param>
/// <param name="Id">The one message acknowledged; null in a batch.</param>
/// <param name="Ids">The messages acknowledged together; null for one.</param>
public sealed record ClientFrame(string? Type, string? Id, IReadOnlyList<string?>? Ids = null)
{
    /// <summary>The most ids one acknowledgement frame may carry: 48 ids of the longest kind (64 characters) fit the
    /// default 4 KiB frame limit.</summary>
    public const int MaxAckIds = 48;

    /// <summary>The ids the device frame <paramref name="utf8"/> acknowledges, or null when it is not a valid acknowledgement
    /// (not JSON, another type, a bad id, none or too many ids, both fields).</summary>
    public static IReadOnlyList<string>? ParseAck(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(utf8, Http.ServerJsonContext.Default.ClientFrame)?.AcknowledgedIds();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The ids this frame acknowledges, or null when it is not a valid acknowledgement: type "ack" and either one
    /// valid <see cref="Id"/> or 1 to <see cref="MaxAckIds"/> valid <see cref="Ids"/>, never both.</summary>
    public IReadOnlyList<string>? AcknowledgedIds()
    {
        if (Type != "ack")
        {
            return null;
        }
        if (Ids is null)
        {
            return Id is not null && Delivery.MessageIdRules.IsValid(Id) ? [Id] : null;
        }
        if (Id is not null || Ids.Count is 0 or > MaxAckIds)
        {
            return null;
        }
        var ids = new string[Ids.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            if (Ids[i] is not { } id || !Delivery.MessageIdRules.IsValid(id))
            {
                return null;
            }
            ids[i] = id;
        }
        return ids;
    }
}
