// Parley server protocol v1, "GET /v1/ws": the delivery WebSocket. The server pushes the mailbox in
// order; the device acknowledges each message after it is safely stored.
using System.Net.WebSockets;
using System.Text.Json;
using Parley.Content;

namespace Parley.Client.Network;

/// <summary>Why the delivery connection stopped for good.</summary>
public enum DeliveryStop
{
    /// <summary>The caller cancelled.</summary>
    Cancelled,

    /// <summary>The device was revoked (close code 4001).</summary>
    Revoked,

    /// <summary>Another connection of this device replaced this one (close code 4000).</summary>
    Replaced,

    /// <summary>The server's operator suspended the account (close code 4003).</summary>
    Suspended,
}

/// <summary>Keeps the device's delivery WebSocket open: reconnects with backoff after any failure,
/// hands each pushed message to a handler one at a time, in order, and acknowledges it once the handler
/// returns true (after the local store committed), several at a time (<see cref="AckBatcher"/>). When the handler returns false the connection is
/// reopened, so the message comes again before anything newer.</summary>
public sealed class DeliverySocket
{
    // The largest frame taken from the server, which bounds what a hostile server can make the device buffer. A frame
    // is a mailbox entry in JSON with the message in base64, and the largest message is a Welcome: 4 MiB by default
    // (Parley:MaxWelcomeBytes, about 5.4 MiB as a frame). This leaves room for servers that raise that limit to
    // about 12 MiB; a larger Welcome still arrives through GET /v1/mailbox (`parley receive`).
    private const int MaxFrameBytes = 16 << 20;
    private readonly ParleyServerClient _server;

    public DeliverySocket(ParleyServerClient server) => _server = server ?? throw new ArgumentNullException(nameof(server));

    /// <summary>Called when the connection opens (true) or drops (false).</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>Backoff between reconnections.</summary>
    public Backoff Backoff { get; init; } = new();

    /// <summary>Runs until cancelled, revoked or replaced. <paramref name="onConnected"/> runs after each
    /// (re)connection, before messages are handled (e.g. to send what waited in the outbox).</summary>
    public async Task<DeliveryStop> RunAsync(Func<MailboxEntry, CancellationToken, Task<bool>> handle,
        Func<CancellationToken, Task>? onConnected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handle);
        while (!cancellationToken.IsCancellationRequested)
        {
            ClientWebSocket? socket = null;
            TimeSpan? retryAfter = null;
            try
            {
                socket = await _server.ConnectWebSocketAsync(cancellationToken);
                ConnectionChanged?.Invoke(true);
                Backoff.Reset();
                if (onConnected is not null)
                {
                    await onConnected(cancellationToken);
                }
                var stop = await ReceiveAsync(socket, handle, cancellationToken);
                if (stop is not null)
                {
                    return stop.Value;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is WebSocketException or ServerUnavailableException or IOException or ServerProblemException
                                          { Status: >= 500 or 429 })
            {
                // Reconnect below, not before the server said to (a full node or a rate limit answers with Retry-After).
                retryAfter = (e as ServerProblemException)?.RetryAfter;
            }
            finally
            {
                if (socket is not null)
                {
                    ConnectionChanged?.Invoke(false);
                    socket.Abort();
                    socket.Dispose();
                }
            }
            try
            {
                TimeSpan wait = Backoff.Next();
                await Task.Delay(retryAfter > wait ? retryAfter.Value : wait, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return DeliveryStop.Cancelled;
    }

    // Returns a stop reason, or null to reconnect. Acknowledgements go in batches (AckBatcher); whatever waits is sent before the
    // socket is let go, however the connection ends, cancellation included.
    private static async Task<DeliveryStop?> ReceiveAsync(ClientWebSocket socket, Func<MailboxEntry, CancellationToken, Task<bool>> handle,
        CancellationToken cancellationToken)
    {
        using var acks = new AckBatcher(socket);
        try
        {
            return await ReceiveAsync(socket, handle, acks, cancellationToken);
        }
        finally
        {
            await acks.FlushAsync();
        }
    }

    private static async Task<DeliveryStop?> ReceiveAsync(ClientWebSocket socket, Func<MailboxEntry, CancellationToken, Task<bool>> handle,
        AckBatcher acks, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            message.SetLength(0);
            WebSocketReceiveResult result;
            do
            {
                result = await ReceiveUnlessCancelledAsync(socket, buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return socket.CloseStatus switch
                    {
                        (WebSocketCloseStatus)4001 => DeliveryStop.Revoked,
                        (WebSocketCloseStatus)4000 => DeliveryStop.Replaced,
                        (WebSocketCloseStatus)4003 => DeliveryStop.Suspended,
                        _ => null,
                    };
                }
                message.Write(buffer, 0, result.Count);
                if (message.Length > MaxFrameBytes)
                {
                    throw new WebSocketException("The server sent a frame larger than any message can be.");
                }
            }
            while (!result.EndOfMessage);

            if (Decode(message.GetBuffer().AsMemory(0, (int)message.Length), result.MessageType, AckBatcher.IsBinary(socket)) is not { } entry)
            {
                continue;
            }
            if (!await handle(entry, cancellationToken))
            {
                // Not handled now: reconnect, so the server pushes it again before anything newer.
                return null;
            }
            await acks.AddAsync(entry.Id);
        }
    }

    /// <summary>The mailbox entry a pushed frame carries, or null for a frame to pass over: on a binary connection
    /// (<see cref="DeliveryFrame.SubProtocol"/>) a push frame, otherwise a JSON <c>{"type":"message"}</c> frame.</summary>
    public static MailboxEntry? Decode(ReadOnlyMemory<byte> frame, WebSocketMessageType type, bool binary)
    {
        if (binary)
        {
            return type == WebSocketMessageType.Binary && DeliveryFrame.DecodePush(frame) is { } push
                ? new MailboxEntry("message", push.Sequence, push.Id, push.Message.ToArray(), push.Stamp)
                : null;
        }
        try
        {
            return JsonSerializer.Deserialize(frame.Span, ClientJsonContext.Default.MailboxEntry) is { Type: "message" } entry ? entry : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Cancelling a WebSocket receive aborts the socket, and the waiting acknowledgements could no longer go out: the caller's
    // cancellation ends the wait instead, and the receive left pending ends when the socket is aborted afterwards.
    private static async Task<WebSocketReceiveResult> ReceiveUnlessCancelledAsync(ClientWebSocket socket, byte[] buffer,
        CancellationToken cancellationToken)
    {
        Task<WebSocketReceiveResult> receive = socket.ReceiveAsync(buffer, CancellationToken.None);
        if (!receive.IsCompleted && cancellationToken.CanBeCanceled)
        {
            _ = receive.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
        }
        return await receive.WaitAsync(cancellationToken);
    }
}
