// A bare Kestrel WebSocket server, the ceiling for Parley's delivery path on the same stack (ASP.NET Core, Kestrel,
// .NET's WebSocket framing) with nothing else: no authentication, no storage, no JSON, no MLS parsing.
//
//   GET /echo          every frame comes back on the same socket
//   GET /relay/{id}    the connection is device {id}; a binary frame [recipient: int32 little-endian][payload]
//                      is forwarded (payload only) to device {recipient}'s connection, or dropped if it has none
//
//   dotnet bench/Parley.Echo/bin/Release/net10.0/Parley.Echo.dll --urls http://127.0.0.1:0
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using Parley.Echo;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var app = builder.Build();
app.UseWebSockets();
var peers = new ConcurrentDictionary<int, RelayPeer>();

app.Map("/echo", async context =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }
    using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
    try
    {
        while (true)
        {
            // Wait for a frame without holding a buffer, so an idle connection costs only what Kestrel keeps for it.
            ValueWebSocketReceiveResult peek = await socket.ReceiveAsync(Memory<byte>.Empty, context.RequestAborted);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
    {
        // The client went away.
    }
});

app.Map("/relay/{id:int}", async (HttpContext context, int id) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        return Results.BadRequest();
    }
    using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
    var peer = new RelayPeer(socket);
    peers[id] = peer;
    try
    {
        using var frame = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        while (true)
        {
            frame.SetLength(0);
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return Results.Empty;
                }
                frame.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            if (frame.Length < 4)
            {
                continue;
            }
            int recipient = BinaryPrimitives.ReadInt32LittleEndian(frame.GetBuffer());
            if (peers.TryGetValue(recipient, out RelayPeer? target))
            {
                await target.SendAsync(frame.GetBuffer().AsMemory(4, (int)frame.Length - 4), context.RequestAborted);
            }
        }
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
    {
        return Results.Empty;
    }
    finally
    {
        peers.TryRemove(new KeyValuePair<int, RelayPeer>(id, peer));
    }
});

app.Run();
