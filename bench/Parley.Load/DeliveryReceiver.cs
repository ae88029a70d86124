// Parley server protocol v1, "GET /v1/ws": the device side of the delivery WebSocket, reduced to what a load test
// needs: read each pushed message, hand it over, acknowledge it.
using System.Net.WebSockets;
using Parley.Client.Network;

namespace Parley.Load;

/// <summary>Reads a delivery WebSocket until it closes: every pushed message (a binary push frame on a connection that
/// speaks parley.binary.v1, a {"type":"message"} frame otherwise, decoded as ParleyClient decodes them) goes to the
/// handler, then is acknowledged, so the server deletes it from the mailbox.</summary>
internal static class DeliveryReceiver
{
    public static async Task RunAsync(WebSocket socket, Action<MailboxEntry> handle, bool acknowledge, CancellationToken cancellationToken)
    {
        // Acknowledged in batches, as ParleyClient does (AckBatcher); what waits goes out before the socket is let go.
        using var acks = new AckBatcher(socket);
        try
        {
            await ReceiveAsync(socket, handle, acknowledge ? acks : null, cancellationToken);
        }
        finally
        {
            await acks.FlushAsync();
        }
    }

    private static async Task ReceiveAsync(WebSocket socket, Action<MailboxEntry> handle, AckBatcher? acks, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[8 * 1024];
        using var frame = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            frame.SetLength(0);
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                frame.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            if (DeliverySocket.Decode(frame.GetBuffer().AsMemory(0, (int)frame.Length), result.MessageType, AckBatcher.IsBinary(socket)) is not
                { } entry)
            {
                continue;
            }
            handle(entry);
            if (acks is not null)
            {
                await acks.AddAsync(entry.Id);
            }
        }
    }

    /// <summary>The delivery WebSocket address of a node.</summary>
    public static Uri WebSocketUri(Uri node) => new UriBuilder(new Uri(node, "v1/ws")) { Scheme = "ws" }.Uri;
}
