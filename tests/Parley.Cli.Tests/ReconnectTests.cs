using Parley.Client;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Sync;

namespace Parley.Cli.Tests;

/// <summary>A listening device across a server crash: it reconnects by itself and nothing sent meanwhile is lost.</summary>
public sealed class ReconnectTests : IDisposable
{
    private readonly TempDirectory _root = new();

    [Fact]
    public async Task A_listening_device_reconnects_after_the_server_is_killed_and_restarted_and_receives_what_was_queued_meanwhile()
    {
        var server = await ServerProcess.StartAsync(_root.Sub("server"));
        try
        {
            using var alice = await ParleyClient.CreateAccountAsync(_root.Sub("alice"), Cli.Passphrase, server.Address, "alice", Devices.Options);
            using var bob = await ParleyClient.CreateAccountAsync(_root.Sub("bob"), Cli.Passphrase, server.Address, "bob", Devices.Options);
            var chat = await alice.OpenDirectAsync("bob");
            await bob.SyncAsync();

            var texts = System.Threading.Channels.Channel.CreateUnbounded<string>();
            bob.EventRaised += e =>
            {
                if (e is MessageReceived received && received.Message.Text is { } text)
                {
                    texts.Writer.TryWrite(text);
                }
            };
            int connections = 0;
            var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var listening = bob.ListenAsync(stop.Token, open =>
            {
                if (open)
                {
                    (Interlocked.Increment(ref connections) == 1 ? connected : reconnected).TrySetResult();
                }
            });
            await connected.Task.WaitAsync(stop.Token);

            await alice.SendTextAsync(chat.Id, "before the crash");
            Assert.Equal("before the crash", await texts.Reader.ReadAsync(stop.Token));

            server = await KillAndSendAsync(server, alice, chat.Id);
            await reconnected.Task.WaitAsync(stop.Token);
            var flushed = await alice.SyncAsync(stop.Token);
            Assert.Equal(0, flushed.Pending);
            Assert.Equal("while the server was down", await texts.Reader.ReadAsync(stop.Token));

            await alice.SendTextAsync(chat.Id, "after the restart", stop.Token);
            Assert.Equal("after the restart", await texts.Reader.ReadAsync(stop.Token));
            Assert.Equal(["before the crash", "while the server was down", "after the restart"], Devices.Texts(bob, bob.GetConversation("alice").Id));
            await stop.CancelAsync();
            Assert.Equal(DeliveryStop.Cancelled, await listening);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_device_refused_by_a_full_server_is_told_when_to_come_back()
    {
        await using var server = await ServerProcess.StartAsync(_root.Sub("full"), "--Parley:MaxConnections", "1");
        using var alice = await ParleyClient.CreateAccountAsync(_root.Sub("alice-full"), Cli.Passphrase, server.Address, "alice", Devices.Options);
        using var bob = await ParleyClient.CreateAccountAsync(_root.Sub("bob-full"), Cli.Passphrase, server.Address, "bob", Devices.Options);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listening = alice.ListenAsync(stop.Token, open =>
        {
            if (open)
            {
                connected.TrySetResult();
            }
        });
        await connected.Task.WaitAsync(stop.Token);

        var refused = await Assert.ThrowsAsync<ServerProblemException>(() => bob.ServerClient.ConnectWebSocketAsync(stop.Token));
        Assert.Equal((503, "server_full"), (refused.Status, refused.Code));
        Assert.InRange(refused.RetryAfter.GetValueOrDefault(), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        // Plain requests still work while the node holds all the delivery connections it can.
        await bob.SyncAsync(stop.Token);
        await stop.CancelAsync();
        await listening;
    }

    // Kills the server (SIGKILL); the message sent while it is down stays queued on Alice's device; then the server
    // comes back on the same port and data.
    private static async Task<ServerProcess> KillAndSendAsync(ServerProcess server, ParleyClient alice, Parley.Client.Conversations.ConversationId chat)
    {
        await server.DisposeAsync();
        var queued = await alice.SendTextAsync(chat, "while the server was down");
        Assert.Equal(DeliveryStatus.Pending, queued.State.Status);
        return await server.StartAgainAsync();
    }

    public void Dispose() => _root.Dispose();
}
