using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

/// <summary>WebSocket helpers over the in-process test server.</summary>
public static class TestSockets
{
    public static async Task<WebSocket> ConnectAsync(ServerFactory server, TestDevice device)
    {
        var client = server.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"{(device.IsQueue ? "Queue" : "Bearer")} {device.Credential}";
        return await client.ConnectAsync(new Uri(server.Server.BaseAddress, "/v1/ws"), CancellationToken.None);
    }

    /// <summary>Reads the next frame as a message entry (fails after 10 s).</summary>
    public static async Task<MailboxEntry> ReceiveMessageAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[1 << 20];
        int length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonSerializer.Deserialize<MailboxEntry>(buffer.AsSpan(0, length), TestHttp.Json)!;
    }

    public static Task SendAsync(WebSocket socket, string json)
        => socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public static Task AckAsync(WebSocket socket, string id) => SendAsync(socket, $$"""{"type":"ack","id":"{{id}}"}""");

    /// <summary>Reads (and discards) frames until the server closes, answers the close as a client
    /// should (so the server need not wait for it), and returns the close status.</summary>
    public static async Task<(WebSocketCloseStatus? Status, int Messages)> ReadUntilClosedAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[1 << 20];
        int messages = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    try
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                    }
                    catch (Exception ex) when (ex is WebSocketException or IOException)
                    {
                        // The server already dropped the connection.
                    }
                }
                return (result.CloseStatus, messages);
            }
            if (result.EndOfMessage)
            {
                messages++;
            }
        }
    }
}
