// Parley server protocol v1, "GET /v1/ws": acknowledgements in batches, {"type":"ack","ids":[…]} with 1 to 48 ids.
using System.Net.WebSockets;
using System.Text.Json;
using Parley.Content;

namespace Parley.Client.Network;

/// <summary>Acknowledges delivered messages on a delivery WebSocket in batches: an id waits up to <see cref="Delay"/> for
/// others to share its frame, and <see cref="MaxIds"/> waiting ids go at once. Every acknowledgement is one write on the
/// server, so a frame of several ids saves the server work per message (docs/benchmarks.md, "Sealed beside
/// authenticated"). <see cref="FlushAsync"/> sends what waits; call it before letting go of the socket, also when the
/// caller cancels, or the ids acknowledged last come again on the next connection.</summary>
/// <remarks>Only this class sends on the socket (one send at a time); receiving goes on beside it.</remarks>
public sealed class AckBatcher : IDisposable
{
    /// <summary>The most ids in one frame (the server's limit: 48 of the longest ids fit its 4 KiB frame limit).</summary>
    public const int MaxIds = 48;

    /// <summary>How long an id waits for others before its frame goes.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    // How long a flush on the way out may take: the connection is ending, and an id that does not make it comes again.
    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly Func<IReadOnlyList<string>, byte[]> _encode;
    private readonly WebSocketMessageType _frameType;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private List<string> _waiting = [];
    private bool _timerRunning;

    /// <summary>Batches acknowledgements on <paramref name="socket"/>, frames encoded as Parley's client does: binary
    /// (<see cref="DeliveryFrame.EncodeAck"/>) on a connection that speaks <see cref="DeliveryFrame.SubProtocol"/>, JSON
    /// otherwise.</summary>
    public AckBatcher(WebSocket socket)
        : this(socket, IsBinary(socket) ? DeliveryFrame.EncodeAck : EncodeJson, IsBinary(socket) ? WebSocketMessageType.Binary : WebSocketMessageType.Text)
    {
    }

    /// <summary>Batches acknowledgements on <paramref name="socket"/>, each frame the bytes <paramref name="encode"/> makes of
    /// its ids, sent as frames of <paramref name="frameType"/>.</summary>
    public AckBatcher(WebSocket socket, Func<IReadOnlyList<string>, byte[]> encode, WebSocketMessageType frameType = WebSocketMessageType.Text)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _encode = encode ?? throw new ArgumentNullException(nameof(encode));
        _frameType = frameType;
    }

    /// <summary>Whether <paramref name="socket"/> speaks the binary delivery frames (the server accepted the subprotocol).</summary>
    public static bool IsBinary(WebSocket socket) => socket?.SubProtocol == DeliveryFrame.SubProtocol;

    /// <summary>The JSON acknowledgement frame, <c>{"type":"ack","ids":[…]}</c>.</summary>
    public static byte[] EncodeJson(IReadOnlyList<string> ids)
        => JsonSerializer.SerializeToUtf8Bytes(new ClientFrame("ack", null, ids), ClientJsonContext.Default.ClientFrame);

    /// <summary>Queues the acknowledgement of <paramref name="id"/>; sends the batch at once when it is full. Sends are not
    /// cancelled (cancelling a WebSocket send aborts the socket, and the final <see cref="FlushAsync"/> still needs it).</summary>
    public Task AddAsync(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        bool full;
        bool startTimer = false;
        lock (_gate)
        {
            _waiting.Add(id);
            full = _waiting.Count >= MaxIds;
            if (!full && !_timerRunning)
            {
                _timerRunning = startTimer = true;
            }
        }
        if (startTimer)
        {
            _ = FlushLaterAsync();
        }
        return full ? SendWaitingAsync(CancellationToken.None) : Task.CompletedTask;
    }

    /// <summary>Sends every waiting acknowledgement now, without the caller's cancellation: it runs when the connection ends,
    /// often because the caller cancelled. Gives up after a short timeout or on a socket that can no longer send.</summary>
    public async Task FlushAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(FinalFlushTimeout);
        try
        {
            await SendWaitingAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The socket is gone: the ids not sent are pushed again on the next connection and dropped there as duplicates.
        }
    }

    /// <summary>Stops the timer; waiting ids are not sent (call <see cref="FlushAsync"/> first).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _sending.Dispose();
    }

    private async Task FlushLaterAsync()
    {
        try
        {
            await Task.Delay(Delay, _stop.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _timerRunning = false;
            }
            await SendWaitingAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Stopping, or the socket failed: the receive loop sees that too and ends the connection, flushing what it can.
        }
    }

    // Sends the waiting ids in frames of at most MaxIds, one send at a time.
    private async Task SendWaitingAsync(CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                List<string> batch;
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        return;
                    }
                    if (_waiting.Count <= MaxIds)
                    {
                        batch = _waiting;
                        _waiting = [];
                    }
                    else
                    {
                        batch = _waiting[..MaxIds];
                        _waiting.RemoveRange(0, MaxIds);
                    }
                }
                try
                {
                    await _socket.SendAsync(_encode(batch), _frameType, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // Not sent: keep the ids for a later flush on this socket.
                    lock (_gate)
                    {
                        _waiting.InsertRange(0, batch);
                    }
                    throw;
                }
            }
        }
        finally
        {
            _sending.Release();
        }
    }
}
