using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

[Collection(AloneCollection.Name)]
public sealed class RealServerTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "parley-server-tests", "real-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => ServerFactory.DeleteQuietly(_data);

    [Fact]
    public async Task The_real_server_on_loopback_delivers_over_its_websocket_drains_it_on_shutdown_and_keeps_mail_across_restarts()
    {
        string bobCredential;
        await using (RealServerProcess server = await RealServerProcess.StartAsync(_data))
        {
            using HttpClient client = server.CreateClient();
            Assert.Equal("ok", (await client.GetFromJsonAsync<JsonElement>("/healthz")).GetProperty("status").GetString());

            TestUser alice = await TestUser.RegisterAsync(server);
            TestUser bob = await TestUser.RegisterAsync(server);
            bobCredential = bob.Device.Credential;
            await bob.Device.UploadKeyPackagesAsync(2);
            TestGroup group = await TestGroup.CreateAsync(alice.Device);
            await group.AddAsync(alice.Device, bob);

            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {bob.Device.Credential}");
            var wsUri = new UriBuilder(server.Address) { Scheme = "ws", Path = "/v1/ws" }.Uri;
            await socket.ConnectAsync(wsUri, CancellationToken.None);

            MailboxEntry welcome = await TestSockets.ReceiveMessageAsync(socket);
            await TestSockets.AckAsync(socket, welcome.Id);
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "over-the-wire"));
            MailboxEntry live = await TestSockets.ReceiveMessageAsync(socket);
            Assert.Equal("over-the-wire", live.Id);
            await TestSockets.AckAsync(socket, live.Id);
            await MailboxTests.WaitUntilAsync(async () => (await TestMailbox.ReadAsync(bob.Device)).Count == 0);

            // Left unacknowledged: must survive the restart.
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "after-restart"));
            Assert.Equal("after-restart", (await TestSockets.ReceiveMessageAsync(socket)).Id);

            Task<int> stopping = server.StopAsync();
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await TestSockets.ReadUntilClosedAsync(socket)).Status);
            Assert.Equal(0, await stopping);
        }

        await using (RealServerProcess restarted = await RealServerProcess.StartAsync(_data))
        {
            using HttpClient bobClient = restarted.CreateClient();
            bobClient.DefaultRequestHeaders.Authorization = new("Bearer", bobCredential);
            var mailbox = (await bobClient.GetFromJsonAsync<MailboxResponse>("/v1/mailbox", TestHttp.Json))!;
            Assert.Equal(["after-restart"], mailbox.Messages.Select(m => m.Id));
        }
    }

    [Fact]
    public async Task Sealed_sends_leave_no_device_account_or_message_in_the_servers_log()
    {
        var names = new List<string>();
        string output;
        await using (RealServerProcess server = await RealServerProcess.StartAsync(_data))
        {
            using HttpClient anonymous = server.CreateClient();
            var (users, group) = await TestConversation.CreateAsync(server, 2);
            names.AddRange(users.SelectMany(u => u.Devices.Select(d => d.Id).Append(u.Username)));
            for (int i = 0; i < 3; i++)
            {
                string id = $"sealed-log-{i}";
                names.Add(id);
                await TestHttp.EnsureAsync(await group.SendSealedAsync(anonymous, TestMls.Application(group.Id, group.Epoch), id: id));
            }
            // Refused ones too: a foreign key, a commit.
            using var foreign = await group.SendSealedAsync(anonymous, TestMls.Application(group.Id, group.Epoch), id: "sealed-log-foreign",
                seed: Parley.Content.SealedSender.NewSeed());
            using var commit = await group.SendSealedAsync(anonymous, TestMls.Commit(group.Id, group.Epoch, 0), id: "sealed-log-commit",
                seed: group.DeliverySeeds[group.Epoch]);
            names.AddRange(["sealed-log-foreign", "sealed-log-commit", group.IdText]);
            Assert.Equal(0, await server.StopAsync());
            output = server.Output;
        }

        Assert.All(names, name => Assert.DoesNotContain(name, output, StringComparison.OrdinalIgnoreCase));
    }
}
