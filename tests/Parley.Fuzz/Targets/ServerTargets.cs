// Fuzz targets of Parley.Server that are not MLS: what a request's headers carry before anything is looked up.
using System.Text;
using Parley.Server.Channels;
using Parley.Server.Devices;

namespace Parley.Fuzz.Targets;

internal static class ServerTargets
{
    public static IEnumerable<FuzzTarget> All()
    {
        yield return new FuzzTarget("queue-credential",
            "a channel subscriber queue's credential as 'Authorization: Queue {token}' carries it (SubscriberQueue.TryOpen); an "
            + "accepted one opens a queue whose id has a device id's form",
            QueueCredentialTarget);
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
