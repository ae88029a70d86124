using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Parley.Server.Operations;

namespace Parley.Server.Tests;

public sealed class OperationsTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Healthz_answers_ok()
    {
        using HttpClient client = _server.CreateClient();

        var health = await client.GetFromJsonAsync<HealthResponse>("/healthz", TestHttp.Json);

        Assert.Equal("ok", health!.Status);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_endpoints()
    {
        using HttpClient client = _server.CreateClient();

        JsonElement document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        JsonElement paths = document.GetProperty("paths");
        foreach (string path in new[] { "/v1/accounts", "/v1/groups/{groupId}/messages", "/v1/keypackages", "/v1/mailbox", "/v1/blobs", "/v1/blobs/{id}", "/healthz" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }
    }

    [Fact]
    public async Task Metrics_count_accepted_and_delivered_messages_and_connections()
    {
        var measurements = new Dictionary<string, long>();
        // Only this server's meter: other test servers run in parallel with meters of the same name.
        IMeterFactory meters = _server.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ServerMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (measurements)
            {
                measurements[instrument.Name] = measurements.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();

        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await bob.Device.UploadKeyPackagesAsync(1);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);
        await group.AddAsync(alice.Device, bob);
        using (WebSocket socket = await TestSockets.ConnectAsync(_server, bob.Device))
        {
            var welcome = await TestSockets.ReceiveMessageAsync(socket);
            await TestSockets.AckAsync(socket, welcome.Id);
            await MailboxTests.WaitUntilAsync(() => Task.FromResult(Get(measurements, "parley.messages.delivered") == 1));
            Assert.Equal(1, Get(measurements, "parley.websocket.connections"));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        Assert.Equal(1, Get(measurements, "parley.messages.accepted"));
        await MailboxTests.WaitUntilAsync(() => Task.FromResult(Get(measurements, "parley.websocket.connections") == 0));
    }

    [Fact]
    public async Task The_database_file_holds_no_plaintext_ip_addresses_or_tokens()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string token = alice.Device.Credential.Split('.')[1];

        await using (var stream = new FileStream(Path.Combine(_server.DataDirectory, "parley.db"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream))
        {
            string raw = await reader.ReadToEndAsync();
            Assert.DoesNotContain(token, raw, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", raw, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await alice.Device.Client.GetAsync("/v1/devices")).StatusCode);
    }

    private static long Get(Dictionary<string, long> measurements, string name)
    {
        lock (measurements)
        {
            return measurements.GetValueOrDefault(name);
        }
    }
}
