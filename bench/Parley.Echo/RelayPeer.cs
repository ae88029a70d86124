// One connected device of the relay: frames to it are written one at a time (a WebSocket allows one writer).
using System.Net.WebSockets;

namespace Parley.Echo;

/// <summary>A relay connection and the lock that serializes writes to it.</summary>
internal sealed class RelayPeer(WebSocket socket)
{
    private readonly SemaphoreSlim _writing = new(1, 1);

    public async Task SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }
}
