using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.RateLimiting;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.Mailboxes;
using Parley.Server.Operations;

namespace Parley.Server.Delivery;

/// <summary>One device's delivery WebSocket. It pushes the device's mailbox in order (from the
/// start on every connection, so nothing unacknowledged is lost) and deletes each message when
/// the device sends <c>{"type":"ack","id":…}</c> (or <c>"ids":[…]</c>, up to <see cref="ClientFrame.MaxAckIds"/> at once; binary frames instead, <see cref="DeliveryFrame"/>, when the device asked for <see cref="DeliveryFrame.SubProtocol"/>). Acknowledgements beyond the messages pushed on the connection count
/// against the device's request windows, and every close this side decides is a WebSocket close handshake with a code
/// and a reason (docs/server-protocol.md, "the delivery WebSocket").</summary>
/// <remarks>Most connections are idle most of the time, so an idle one holds as little as possible: one pending
/// zero-byte read and this object. Pushing runs only while there is mail (a drain started by <see cref="Wake"/>), and a
/// close requested from elsewhere sends its close frame from a task of its own, so no send loop, wake channel or
/// cancellation source waits beside every socket (docs/benchmarks.md, idle connections).</remarks>
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

        /// <summary>1003: the device sent a binary frame; device frames are JSON text.</summary>
        BinaryFrame,

        /// <summary>4029: the device acknowledged more than was pushed to it, faster than its request limit allows.</summary>
        RateLimited,

        /// <summary>1000: the device closed the connection.</summary>
        ClientClosed,

        /// <summary>4003: the operator suspended the device's account.</summary>
        Suspended,

        /// <summary>1003: on a binary connection (<see cref="DeliveryFrame.SubProtocol"/>) the device sent a text frame.</summary>
        TextFrame,

        /// <summary>1008: on a binary connection the device sent a binary frame that is not a valid acknowledgement.</summary>
        MalformedBinaryFrame,
    }

    private const int PageSize = 100;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    // What a device may still send after this side's close frame before the connection is cut: the rest of an oversized
    // frame and whatever it had queued, but not a stream to read for the whole close timeout.
    private const int MaxBytesAfterClose = 1024 * 1024;

    // Wakes, closes and the socket's own loop come from different threads; everything below is read and written under it.
    private readonly Lock _gate = new();
    private WebSocket? _socket;
    private IMailboxStore? _mailbox;
    private TimeProvider? _time;
    private ILogger? _logger;
    private CancellationToken _aborted;
    private bool _finished;
    private bool _draining;
    private bool _drainAgain;
    private TaskCompletionSource? _drained;
    private CloseReason? _reason;
    private Task? _closing;
    private CancellationTokenSource? _closeDeadline;

    // The sequence of the last message pushed on this connection; only the running drain touches it.
    private long _pushed;

    // Messages pushed (written by the drain) and acknowledgements received (by the receive loop) on this connection: an ack
    // beyond what was pushed is not the device's own bookkeeping and counts against its request windows.
    private long _pushedCount;
    private long _acks;
    private IDisposable? _presence;

    public DeviceConnection(DeviceId device, AccountId? account, bool binary = false)
    {
        Device = device;
        Account = account;
        Binary = binary;
    }

    /// <summary>Whether the connection speaks binary frames (<see cref="DeliveryFrame.SubProtocol"/>) rather than JSON.</summary>
    public bool Binary { get; }

    /// <summary>The connected device, or the channel subscriber queue (whose id has a device id's shape).</summary>
    public DeviceId Device { get; }

    /// <summary>The device's account, whose request window surplus acknowledgements count against; null for a subscriber
    /// queue, which has none (its acknowledgements count against the queue and the address only).</summary>
    public AccountId? Account { get; }

    /// <summary>The request windows (device, account, address) that acknowledgements beyond the pushed messages count
    /// against, as a request through the HTTP pipeline would; <paramref name="Context"/> is the upgrade request, for the
    /// address.</summary>
    public readonly record struct AckLimit(RateLimits.RequestLimiter Limiter, HttpContext Context);

    /// <summary>Keeps the presence subscription that carries other nodes' signals to this connection (kept here rather than
    /// in a map beside the registry: one entry less per connected device).</summary>
    internal void AttachPresence(IDisposable subscription) => Volatile.Write(ref _presence, subscription);

    /// <summary>Ends the presence subscription, once.</summary>
    internal void DetachPresence() => Interlocked.Exchange(ref _presence, null)?.Dispose();

    /// <summary>Signals that the mailbox may have new messages.</summary>
    public void Wake()
    {
        lock (_gate)
        {
            // Before the socket runs there is nothing to do: RunAsync pushes the whole mailbox when it starts.
            if (_socket is null || _finished)
            {
                return;
            }
            if (_draining)
            {
                _drainAgain = true;
                return;
            }
            _draining = true;
        }
        _ = DrainAsync();
    }

    /// <summary>Asks the connection to close with <paramref name="reason"/>.</summary>
    public void Close(CloseReason reason)
    {
        lock (_gate)
        {
            _reason ??= reason;
            // Not running yet: RunAsync closes at once when it starts. Already closing or finished: the first reason stands.
            if (_socket is null || _closing is not null || _finished)
            {
                return;
            }
            _closing = SendCloseAsync(_socket, _reason.Value);
        }
    }

    /// <summary>Serves the socket until either side closes it.</summary>
    public async Task RunAsync(WebSocket socket, IMailboxStore mailbox, TimeProvider time, ServerMetrics metrics, int maxFrameBytes,
        ILogger logger, AckLimit ackLimit, CancellationToken requestAborted)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(logger);
        bool closeNow;
        lock (_gate)
        {
            _socket = socket;
            _mailbox = mailbox;
            _time = time;
            _logger = logger;
            _aborted = requestAborted;
            closeNow = _reason is not null;
        }
        if (closeNow)
        {
            // Replaced, revoked or suspended between the upgrade and now: close with the reason already given.
            Close(CloseReason.ShuttingDown);
        }
        else
        {
            Wake();
        }

        CloseReason ended = CloseReason.ShuttingDown;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                // Wait for the next frame here, without a buffer and without a cancellation registration, so an idle
                // connection holds neither, nor a second async state (docs/benchmarks.md, idle connections). Nothing needs
                // to cancel this read: the device going away ends it, and a close from this side either gets the device's
                // answer or aborts the socket after CloseHandshakeTimeout.
                ValueWebSocketReceiveResult peek = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                // A frame with no payload at all ends with the zero-byte read: it is no acknowledgement of either kind.
                CloseReason? stop = peek.MessageType == WebSocketMessageType.Close
                    ? CloseReason.ClientClosed
                    : peek.EndOfMessage
                        ? MalformedFrame(peek.MessageType)
                        : await ReceiveFrameAsync(socket, mailbox, metrics, maxFrameBytes, ackLimit, requestAborted);
                if (stop is not null)
                {
                    ended = stop.Value;
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The peer went away, or a close we sent was not answered in time.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "A delivery connection failed");
        }

        Task? closing;
        CloseReason reason;
        lock (_gate)
        {
            reason = _reason ??= ended;
            closing = _closing;
            _closing ??= Task.CompletedTask;
        }
        // A close asked for elsewhere has sent, or is sending, its frame; otherwise answer or end the handshake here.
        await Quietly(closing ?? CloseOutputAsync(socket, reason));
        // This side closed (a protocol error, a frame too large, surplus acks): wait for the device's close frame before
        // letting go. Cutting a TCP connection with unread bytes in it sends a reset, and a reset makes the device drop our
        // close frame unread, so it would never learn the code and the reason.
        if (socket.State == WebSocketState.CloseSent)
        {
            await AwaitDeviceCloseAsync(socket);
        }
        socket.Abort();

        TaskCompletionSource? drained = null;
        lock (_gate)
        {
            _finished = true;
            _closeDeadline?.Dispose();
            if (_draining)
            {
                drained = _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        // A push that was under way fails on the aborted socket; wait for it so nothing touches the socket after this returns.
        if (drained is not null)
        {
            await drained.Task;
        }
    }

    /// <summary>Why a frame of <paramref name="type"/> that is not a valid acknowledgement closes this connection.</summary>
    private CloseReason MalformedFrame(WebSocketMessageType type) => (Binary, type == WebSocketMessageType.Binary) switch
    {
        (true, true) => CloseReason.MalformedBinaryFrame,
        (true, false) => CloseReason.TextFrame,
        (false, true) => CloseReason.BinaryFrame,
        _ => CloseReason.ProtocolError,
    };

    /// <summary>Reads the frame that has begun to arrive and acts on it: an acknowledgement deletes its message. Returns
    /// why the connection must close, or null to wait for the next frame.</summary>
    private async ValueTask<CloseReason?> ReceiveFrameAsync(WebSocket socket, IMailboxStore mailbox, ServerMetrics metrics, int maxFrameBytes,
        AckLimit ackLimit, CancellationToken cancellationToken)
    {
        // The buffer is rented only while a frame is read, so an idle connection holds none (docs/benchmarks.md, idle
        // connections).
        byte[] buffer = ArrayPool<byte>.Shared.Rent(maxFrameBytes);
        try
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == maxFrameBytes)
                {
                    return CloseReason.FrameTooLarge;
                }
                result = await socket.ReceiveAsync(buffer.AsMemory(length, maxFrameBytes - length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return CloseReason.ClientClosed;
            }
            IReadOnlyList<string>? ids = Binary != (result.MessageType == WebSocketMessageType.Binary) ? null
                : Binary ? DeliveryFrame.DecodeAck(buffer.AsSpan(0, length)) : ClientFrame.ParseAck(buffer.AsSpan(0, length));
            if (ids is null)
            {
                // Nothing of a malformed frame is acted on, not even its valid ids.
                return MalformedFrame(result.MessageType);
            }
            // Acks of pushed messages are bounded by the mail the device was sent, which its senders' limits paid for; only
            // acks beyond those cost the device a request each, checked before the store is touched.
            foreach (string _ in ids)
            {
                if (++_acks > Interlocked.Read(ref _pushedCount))
                {
                    using RateLimitLease lease = ackLimit.Limiter.AttemptAcquire(ackLimit.Context, Device, Account);
                    if (!lease.IsAcquired)
                    {
                        return CloseReason.RateLimited;
                    }
                }
            }
            int deleted = await mailbox.AcknowledgeAsync(Device, ids, cancellationToken);
            for (int i = 0; i < deleted; i++)
            {
                metrics.MessageDelivered();
            }
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Pushes everything in the mailbox after the last pushed message, again as long as wakes keep arriving.</summary>
    private async Task DrainAsync()
    {
        // Off the waker's thread: one send wakes every recipient's connection from within that request.
        await Task.Yield();
        WebSocket socket;
        IMailboxStore mailbox;
        TimeProvider time;
        CancellationToken cancellationToken;
        lock (_gate)
        {
            if (_finished)
            {
                ContinueDraining(failed: true);
                return;
            }
            socket = _socket!;
            mailbox = _mailbox!;
            time = _time!;
            cancellationToken = _aborted;
        }
        try
        {
            do
            {
                while (true)
                {
                    IReadOnlyList<MailboxMessage> page = await mailbox.ReadAsync(Device, _pushed, PageSize, time.GetUtcNow(), cancellationToken);
                    foreach (MailboxMessage message in page)
                    {
                        await PushAsync(socket, message, cancellationToken);
                        _pushed = message.Sequence;
                        Interlocked.Increment(ref _pushedCount);
                    }
                    if (page.Count < PageSize)
                    {
                        break;
                    }
                }
            }
            while (ContinueDraining(failed: false));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket is closing or gone; whatever was not acknowledged is pushed again on the next connection.
            ContinueDraining(failed: true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ILogger? logger;
            lock (_gate)
            {
                logger = _logger;
            }
            logger?.LogWarning(ex, "A delivery connection failed");
            ContinueDraining(failed: true);
            Close(CloseReason.ShuttingDown);
        }
    }

    /// <summary>Sends one mailbox entry: a binary push frame from a pooled buffer, or the JSON frame.</summary>
    private async ValueTask PushAsync(WebSocket socket, MailboxMessage message, CancellationToken cancellationToken)
    {
        if (!Binary)
        {
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(
                new MailboxEntry("message", message.Sequence, message.Id, message.Message, message.Stamp), ServerJsonContext.Default.MailboxEntry);
            await socket.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return;
        }
        int length = DeliveryFrame.PushLength(message.Id.Length, message.Stamp?.Length ?? 0, message.Message.Length);
        byte[] frame = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            DeliveryFrame.WritePush(frame.AsSpan(0, length), message.Sequence, message.Id, message.Message, message.Stamp);
            await socket.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Whether a wake arrived while draining (then the drain reads the mailbox once more); otherwise the drain ends.</summary>
    private bool ContinueDraining(bool failed)
    {
        TaskCompletionSource? drained;
        lock (_gate)
        {
            if (_drainAgain && !failed && !_finished)
            {
                _drainAgain = false;
                return true;
            }
            _draining = false;
            _drainAgain = false;
            drained = _drained;
        }
        drained?.TrySetResult();
        return false;
    }

    /// <summary>Starts the close handshake for a close asked for elsewhere (a newer connection, revocation, suspension,
    /// shutdown). The device's answering close frame ends the receive loop; a device that does not answer in time is cut
    /// off.</summary>
    private async Task SendCloseAsync(WebSocket socket, CloseReason reason)
    {
        // Called under the lock and from other requests: leave both before touching the socket.
        await Task.Yield();
        var deadline = new CancellationTokenSource(CloseHandshakeTimeout);
        lock (_gate)
        {
            if (_finished)
            {
                deadline.Dispose();
                return;
            }
            _closeDeadline = deadline;
        }
        deadline.Token.UnsafeRegister(static state => ((WebSocket)state!).Abort(), socket);
        await CloseOutputAsync(socket, reason);
    }

    /// <summary>Sends the close frame for <paramref name="reason"/> if the socket can still send one.</summary>
    private static async Task CloseOutputAsync(WebSocket socket, CloseReason reason)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                var (status, description) = CloseStatusOf(reason);
                using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                await socket.CloseOutputAsync(status, description, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing a broken socket; it is aborted next.
        }
    }

    /// <summary>Reads and drops what the device still sends after this side's close frame, until the device's close frame,
    /// <see cref="CloseHandshakeTimeout"/> or <see cref="MaxBytesAfterClose"/>, whichever comes first.</summary>
    private static async Task AwaitDeviceCloseAsync(WebSocket socket)
    {
        byte[] sink = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
            int read = 0;
            while (socket.State == WebSocketState.CloseSent && read <= MaxBytesAfterClose)
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(sink.AsMemory(), timeout.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                read += result.Count;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The device went away or did not answer in time; the socket is aborted next.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    private static (WebSocketCloseStatus Status, string Description) CloseStatusOf(CloseReason reason) => reason switch
    {
        CloseReason.Replaced => ((WebSocketCloseStatus)4000, "replaced by a newer connection"),
        CloseReason.Revoked => ((WebSocketCloseStatus)4001, "device revoked"),
        CloseReason.Suspended => ((WebSocketCloseStatus)4003, "account suspended"),
        CloseReason.ProtocolError => (WebSocketCloseStatus.PolicyViolation, "expected {\"type\":\"ack\",\"id\":...} or {\"type\":\"ack\",\"ids\":[...]}"),
        CloseReason.FrameTooLarge => (WebSocketCloseStatus.MessageTooBig, "frame too large"),
        CloseReason.BinaryFrame => (WebSocketCloseStatus.InvalidMessageType, "device frames are JSON text"),
        CloseReason.TextFrame => (WebSocketCloseStatus.InvalidMessageType, "device frames on a parley.binary.v1 connection are binary"),
        CloseReason.MalformedBinaryFrame => (WebSocketCloseStatus.PolicyViolation, "expected a binary acknowledgement (0x02, count, ids)"),
        CloseReason.RateLimited => ((WebSocketCloseStatus)4029, "too many acknowledgements; reconnect later"),
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
