using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.Mailboxes;
using Parley.Server.Operations;

namespace Parley.Server.Delivery;

/// <summary>One device's delivery WebSocket. It pushes the device's mailbox in order (from the
/// start on every connection, so nothing unacknowledged is lost) and deletes each message when
/// the device sends <c>{"type":"ack","id":…}</c>.</summary>
public sealed class DeviceConnection
{
    /// <summary>Why the server closes a connection; each maps to a WebSocket close code.</summary>
    public enum CloseReason
    {
        /// <summary>4000: the device opened a newer connection.</summary>
        Replaced,

        /// <summary>4001: the device was revoked.</summary>
        Revoked,

        /// <summary>1001: the server is shutting down; reconnect later.</summary>
        ShuttingDown,

        /// <summary>1008: the device sent a frame that is not a valid acknowledgement.</summary>
        ProtocolError,

        /// <summary>1009: the device sent a frame larger than the limit.</summary>
        FrameTooLarge,

        /// <summary>1000: the device closed the connection.</summary>
        ClientClosed,

        /// <summary>4003: the operator suspended the device's account.</summary>
        Suspended,
    }

    private const int PageSize = 100;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    private readonly CancellationTokenSource _closing = new();
    private CloseReason? _reason;

    public DeviceConnection(DeviceId device) => Device = device;

    /// <summary>The connected device.</summary>
    public DeviceId Device { get; }

    /// <summary>Signals that the mailbox may have new messages.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Asks the connection to close with <paramref name="reason"/>.</summary>
    public void Close(CloseReason reason)
    {
        lock (_closing)
        {
            _reason ??= reason;
        }
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>Serves the socket until either side closes it.</summary>
    public async Task RunAsync(WebSocket socket, IMailboxStore mailbox, TimeProvider time, ServerMetrics metrics, int maxFrameBytes,
        ILogger logger, CancellationToken requestAborted)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(mailbox);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token, requestAborted);
        Wake();
        Task sending = SendLoopAsync(socket, mailbox, time, linked.Token);
        Task receiving = ReceiveLoopAsync(socket, mailbox, metrics, maxFrameBytes, requestAborted);
        Task first = await Task.WhenAny(sending, receiving);
        Close(CloseReason.ShuttingDown);
        try
        {
            await first;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer went away; nothing more to deliver on this socket.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "Delivery connection of device {DeviceId} failed", Device.Value);
        }
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                var (status, description) = CloseStatusOf(_reason ?? CloseReason.ShuttingDown);
                using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                await socket.CloseOutputAsync(status, description, timeout.Token);
            }
            await Task.WhenAny(receiving, Task.Delay(CloseHandshakeTimeout, CancellationToken.None));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closing a broken socket; abort below.
        }
        finally
        {
            socket.Abort();
            _closing.Dispose();
        }
        await Task.WhenAll(Quietly(sending), Quietly(receiving));
    }

    private async Task SendLoopAsync(WebSocket socket, IMailboxStore mailbox, TimeProvider time, CancellationToken cancellationToken)
    {
        long after = 0;
        while (await _wake.Reader.WaitToReadAsync(cancellationToken))
        {
            _wake.Reader.TryRead(out _);
            while (true)
            {
                IReadOnlyList<MailboxMessage> page = await mailbox.ReadAsync(Device, after, PageSize, time.GetUtcNow(), cancellationToken);
                foreach (MailboxMessage message in page)
                {
                    byte[] frame = JsonSerializer.SerializeToUtf8Bytes(
                        new MailboxEntry("message", message.Sequence, message.Id, message.Message, message.Stamp), ServerJsonContext.Default.MailboxEntry);
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                    after = message.Sequence;
                }
                if (page.Count < PageSize)
                {
                    break;
                }
            }
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, IMailboxStore mailbox, ServerMetrics metrics, int maxFrameBytes,
        CancellationToken cancellationToken)
    {
        while (socket.State == WebSocketState.Open)
        {
            // Wait for the next frame without a buffer, so an idle connection holds none: about 4.5 KiB less per
            // connected device (docs/benchmarks.md, idle connections).
            ValueWebSocketReceiveResult peek = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                Close(CloseReason.ClientClosed);
                return;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(maxFrameBytes);
            try
            {
                int length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == maxFrameBytes)
                    {
                        Close(CloseReason.FrameTooLarge);
                        return;
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length, maxFrameBytes - length), cancellationToken);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Close(CloseReason.ClientClosed);
                    return;
                }
                ClientFrame? frame = null;
                try
                {
                    frame = JsonSerializer.Deserialize(buffer.AsSpan(0, length), ServerJsonContext.Default.ClientFrame);
                }
                catch (JsonException)
                {
                    // Handled below as a protocol error.
                }
                if (frame is not { Type: "ack", Id: { } id } || !MessageIdRules.IsValid(id))
                {
                    Close(CloseReason.ProtocolError);
                    return;
                }
                if (await mailbox.AcknowledgeAsync(Device, id, cancellationToken))
                {
                    metrics.MessageDelivered();
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static (WebSocketCloseStatus Status, string Description) CloseStatusOf(CloseReason reason) => reason switch
    {
        CloseReason.Replaced => ((WebSocketCloseStatus)4000, "replaced by a newer connection"),
        CloseReason.Revoked => ((WebSocketCloseStatus)4001, "device revoked"),
        CloseReason.Suspended => ((WebSocketCloseStatus)4003, "account suspended"),
        CloseReason.ProtocolError => (WebSocketCloseStatus.PolicyViolation, "expected {\"type\":\"ack\",\"id\":...}"),
        CloseReason.FrameTooLarge => (WebSocketCloseStatus.MessageTooBig, "frame too large"),
        CloseReason.ClientClosed => (WebSocketCloseStatus.NormalClosure, "bye"),
        _ => (WebSocketCloseStatus.EndpointUnavailable, "server closing"),
    };

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Already reported or expected while closing.
        }
    }
}
