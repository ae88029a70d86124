// Abuse reports (docs/safety.md, docs/client-envelope.md §1 "Franking"): every application message this
// device shows passed the franking check and is kept with the server's delivery stamp, so it can be reported.
using System.Security.Cryptography;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Group;

namespace Parley.Client.Moderation;

/// <summary>The receive pipeline's franking check, and the evidence it keeps with each received message.</summary>
internal static class ReportableMessages
{
    /// <summary>Refuses (as a dropped delivery, without its content) an application message that could not be
    /// reported: no franking commitment, or an envelope its commitment does not match.</summary>
    public static void RequireFranked(ApplicationMessage application, ContentEnvelope envelope)
    {
        if (!Franking.TryDecodeAad(application.AuthenticatedData, out byte[] commitment))
        {
            throw new DeliveryRejected("a message without a franking commitment (it could not be reported)");
        }
        if (!Franking.Verify(application.Data, commitment) || !Franking.TrySplit(application.Data, out _, out byte[] fk))
        {
            throw new DeliveryRejected("a message whose franking commitment does not match its content");
        }
        // The decoded key must be the one committed to; only an envelope of a newer version may not decode it.
        bool consistent = envelope.FrankingKey is { } key
            ? CryptographicOperations.FixedTimeEquals(key, fk)
            : envelope.Content is UnsupportedContent { Version: > ContentEnvelope.CurrentVersion };
        if (!consistent)
        {
            throw new DeliveryRejected("a message whose franking key is malformed");
        }
    }

    /// <summary>In the transaction that stored a received envelope: keeps the server's stamp with the new message,
    /// and marks a blocked account's message read (it is never shown, so it must not count as unread).</summary>
    public static void KeepEvidence(StoreTransaction transaction, ContentEnvelope envelope, IEnumerable<ClientEvent> events, byte[]? stamp, BlockList blocks)
    {
        foreach (var received in events.OfType<MessageReceived>())
        {
            var message = received.Message;
            if (message.MessageId != envelope.MessageId)
            {
                continue;
            }
            if (stamp is not null)
            {
                transaction.SaveStamp(message, stamp);
            }
            if (!message.IsOutgoing && !message.State.Read && blocks.Contains(message.SenderUsername))
            {
                transaction.UpdateMessage(message, message.State with { Read = true });
            }
        }
    }
}
