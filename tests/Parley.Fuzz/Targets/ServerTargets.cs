// Fuzz targets of Parley.Server that are not MLS: what a request's headers carry before anything is looked up, and the
// frames a device sends on its delivery WebSocket.
using System.Text;
using Parley.Server.Channels;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.Mailboxes;

namespace Parley.Fuzz.Targets;

internal static class ServerTargets
{
    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("queue-credential",
            "a channel subscriber queue's credential as 'Authorization: Queue {token}' carries it (SubscriberQueue.TryOpen); an "
            + "accepted one opens a queue whose id has a device id's form",
            QueueCredentialTarget);
        yield return new FuzzTarget("ack-frame",
            "a frame a device sends on its delivery WebSocket (ClientFrame.ParseAck): {\"type\":\"ack\",\"id\"} or \"ids\" with 1 to 48 "
            + "ids; an accepted frame names 1 to 48 valid message ids",
            AckFrameTarget);
        yield return new FuzzTarget("binary-ack-frame",
            "a binary acknowledgement on a parley.binary.v1 delivery WebSocket (DeliveryFrame.DecodeAck): 0x02, a count of 1 to "
            + "48, then each id with its length; an accepted frame names 1 to 48 valid ids and encodes back to the same bytes",
            BinaryAckFrameTarget);
    }

    private static void BinaryAckFrameTarget(byte[] input)
    {
        if (Parley.Content.DeliveryFrame.DecodeAck(input) is { } ids)
        {
            Expect.That(ids.Count is >= 1 and <= Parley.Content.DeliveryFrame.MaxAckIds, "An accepted acknowledgement names no id or too many.");
            Expect.That(ids.All(MessageIdRules.IsValid), "An accepted acknowledgement names an invalid message id.");
            Expect.That(Parley.Content.DeliveryFrame.EncodeAck(ids).AsSpan().SequenceEqual(input),
                "An accepted acknowledgement does not encode back to its own bytes.");
        }
    }

    private static void AckFrameTarget(byte[] input)
    {
        if (ClientFrame.ParseAck(input) is { } ids)
        {
            Expect.That(ids.Count is >= 1 and <= ClientFrame.MaxAckIds, "An accepted acknowledgement names no id or too many.");
            Expect.That(ids.All(MessageIdRules.IsValid), "An accepted acknowledgement names an invalid message id.");
        }
    }

    private static void QueueCredentialTarget(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        if (SubscriberQueue.TryOpen(text, out DeviceId queue))
        {
            Expect.That(DeviceId.TryParse(queue.Value, out _), "An opened queue's id is not 32 lowercase hex digits.");
            Expect.That(SubscriberQueue.IdOf(System.Buffers.Text.Base64Url.DecodeFromChars(text)) == queue,
                "The same token opened two different queues.");
        }
    }
}
