using System.Net.WebSockets;
using System.Text.Json;
using Parley.Client.Network;
using Xunit;

namespace Parley.Client.Tests;

/// <summary>Acknowledgements in batches on the delivery WebSocket (docs/server-protocol.md, "the delivery WebSocket").</summary>
public sealed class AckBatcherTests
{
    [Fact]
    public async Task Waiting_ids_go_out_on_flush_in_frames_the_server_takes()
    {
        var socket = new RecordingSocket();
        using var acks = new AckBatcher(socket);
        await acks.AddAsync("m1");
        await acks.AddAsync("m2");
        await acks.AddAsync("m3");

        await acks.FlushAsync();

        Assert.Equal(["m1", "m2", "m3"], socket.Frames.SelectMany(f => f.Ids!));
        Assert.All(socket.Frames, f => Assert.Equal(("ack", (string?)null), (f.Type, f.Id)));
    }

    [Fact]
    public async Task Full_batches_go_without_waiting_and_no_frame_carries_more_than_48_ids()
    {
        var socket = new RecordingSocket();
        using var acks = new AckBatcher(socket);
        var ids = Enumerable.Range(0, 100).Select(i => $"m{i}").ToList();
        foreach (string id in ids)
        {
            await acks.AddAsync(id);
        }

        // Whenever 48 waited they went at once, so fewer than 48 can still wait (the timer may have sent some too).
        Assert.InRange(socket.Frames.Sum(f => f.Ids!.Count), ids.Count - AckBatcher.MaxIds + 1, ids.Count);

        await acks.FlushAsync();
        Assert.Equal(ids, socket.Frames.SelectMany(f => f.Ids!));
        Assert.All(socket.Frames, f => Assert.InRange(f.Ids!.Count, 1, AckBatcher.MaxIds));
    }

    [Fact]
    public async Task Without_a_flush_the_timer_sends_what_waits()
    {
        var socket = new RecordingSocket();
        using var acks = new AckBatcher(socket);
        await acks.AddAsync("alone");

        Assert.Equal(["alone"], (await socket.NextFrameAsync()).Ids!);
    }

    [Fact]
    public async Task On_a_binary_connection_the_acknowledgements_go_as_binary_frames()
    {
        var socket = new RecordingSocket(Parley.Content.DeliveryFrame.SubProtocol);
        using var acks = new AckBatcher(socket);
        await acks.AddAsync("m1");
        await acks.AddAsync("m2");

        await acks.FlushAsync();

        Assert.Equal(["m1", "m2"], socket.Frames.SelectMany(f => f.Ids!));
        Assert.All(socket.Types, t => Assert.Equal(WebSocketMessageType.Binary, t));
    }

    [Fact]
    public void A_binary_push_frame_decodes_to_the_entry_it_carries_and_a_malformed_one_to_nothing()
    {
        byte[] frame = Parley.Content.DeliveryFrame.EncodePush(17, "m-1", [0, 1, 2], [9, 9]);

        MailboxEntry entry = DeliverySocket.Decode(frame, WebSocketMessageType.Binary, binary: true)!;

        Assert.Equal(("message", 17L, "m-1"), (entry.Type, entry.Sequence, entry.Id));
        Assert.Equal([0, 1, 2], entry.Message);
        Assert.Equal([9, 9], entry.Stamp!);
        Assert.Null(DeliverySocket.Decode(frame[..^3], WebSocketMessageType.Binary, binary: true));
        Assert.Null(DeliverySocket.Decode(frame, WebSocketMessageType.Text, binary: true));
        Assert.Null(DeliverySocket.Decode(frame, WebSocketMessageType.Binary, binary: false));
    }

    /// <summary>A WebSocket that keeps every frame sent on it.</summary>
    private sealed class RecordingSocket(string? subProtocol = null) : WebSocket
    {
        private readonly List<WebSocketMessageType> _types = [];
        private readonly List<ClientFrame> _frames = [];
        private readonly SemaphoreSlim _sent = new(0);

        public IReadOnlyList<ClientFrame> Frames
        {
            get
            {
                lock (_frames)
                {
                    return [.. _frames];
                }
            }
        }

        public override WebSocketCloseStatus? CloseStatus => null;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => WebSocketState.Open;

        public override string? SubProtocol => subProtocol;

        public IReadOnlyList<WebSocketMessageType> Types
        {
            get
            {
                lock (_frames)
                {
                    return [.. _types];
                }
            }
        }

        public async Task<ClientFrame> NextFrameAsync()
        {
            Assert.True(await _sent.WaitAsync(TimeSpan.FromSeconds(30)), "No frame was sent.");
            return Frames[^1];
        }

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage,
            CancellationToken cancellationToken)
        {
            Assert.Equal(subProtocol is null ? WebSocketMessageType.Text : WebSocketMessageType.Binary, messageType);
            Assert.True(endOfMessage);
            Assert.InRange(buffer.Count, 1, 4096);
            ClientFrame frame;
            if (messageType == WebSocketMessageType.Binary)
            {
                frame = new ClientFrame("ack", null, [.. Parley.Content.DeliveryFrame.DecodeAck(buffer) ?? throw new InvalidOperationException("Not an ack.")]);
            }
            else
            {
                using JsonDocument json = JsonDocument.Parse(buffer);
                frame = new ClientFrame(json.RootElement.GetProperty("type").GetString()!,
                    json.RootElement.TryGetProperty("id", out JsonElement id) ? id.GetString() : null,
                    json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!).ToList());
            }
            lock (_frames)
            {
                _frames.Add(frame);
                _types.Add(messageType);
            }
            _sent.Release();
            return Task.CompletedTask;
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
            => throw new NotSupportedException();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
            => Task.CompletedTask;

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
            => Task.CompletedTask;

        public override void Abort()
        {
        }

        public override void Dispose() => _sent.Dispose();
    }
}
