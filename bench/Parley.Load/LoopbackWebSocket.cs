// RFC 6455 §4.1 (the client's opening handshake) over a TCP socket bound to a chosen loopback source address, so
// one machine can open more connections to one server port than one source address has ephemeral ports.
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Load;

/// <summary>Opens client WebSockets from a chosen 127.0.0.x address; the framing is .NET's own
/// (<see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>).</summary>
internal static class LoopbackWebSocket
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The source address for connection <paramref name="index"/>: 127.0.0.1 while
    /// <paramref name="perAddress"/> connections fit, then 127.0.0.2, ...</summary>
    public static IPAddress SourceFor(int index, int perAddress) => new([127, 0, 0, (byte)(1 + index / perAddress)]);

    /// <summary>Connects to <paramref name="uri"/> (ws://127.0.0.1:port/path) from <paramref name="source"/>, with an
    /// optional Authorization header, and completes the opening handshake. With <paramref name="subProtocol"/> it asks for
    /// that subprotocol; the socket's <see cref="WebSocket.SubProtocol"/> is set when the server accepted it.</summary>
    public static async Task<WebSocket> ConnectAsync(Uri uri, IPAddress? source, string? authorization, CancellationToken cancellationToken,
        string? subProtocol = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }
            await socket.ConnectAsync(IPAddress.Loopback, uri.Port, cancellationToken);
            var stream = new NetworkStream(socket, ownsSocket: true);
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = new StringBuilder()
                .Append("GET ").Append(uri.PathAndQuery).Append(" HTTP/1.1\r\n")
                .Append("Host: ").Append(uri.Authority).Append("\r\n")
                .Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                .Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
            if (authorization is not null)
            {
                request.Append("Authorization: ").Append(authorization).Append("\r\n");
            }
            if (subProtocol is not null)
            {
                request.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
            }
            request.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken);
            string head = await ReadHeadAsync(stream, cancellationToken);
            string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)
                || !head.Contains("Sec-WebSocket-Accept: " + expected, StringComparison.OrdinalIgnoreCase))
            {
                stream.Dispose();
                throw new WebSocketException($"The server refused the WebSocket: {head.Split("\r\n")[0]}");
            }
            bool accepted = subProtocol is not null
                && head.Contains("Sec-WebSocket-Protocol: " + subProtocol + "\r\n", StringComparison.OrdinalIgnoreCase);
            return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = false,
                KeepAliveInterval = TimeSpan.Zero,
                SubProtocol = accepted ? subProtocol : null,
            });
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Reads byte by byte up to the blank line, so nothing after the headers (the first frames) is consumed.
    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>(256);
        byte[] one = new byte[1];
        while (head.Count < 8192)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new WebSocketException("The server closed the connection during the handshake.");
            }
            head.Add(one[0]);
            int n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')
            {
                return Encoding.ASCII.GetString(head.ToArray());
            }
        }
        throw new WebSocketException("The handshake answer is too long.");
    }
}
