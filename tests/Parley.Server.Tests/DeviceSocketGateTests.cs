using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Parley.Server.Tests;

/// <summary>The delivery WebSocket is served ahead of the request pipeline (DeviceSocketGate); each refusal must still be
/// the one every other endpoint gives, and its connects must count against the same rate limits.</summary>
public sealed class DeviceSocketGateTests : IAsyncLifetime
{
    private readonly TestOperator _operator = new();
    private readonly ServerFactory _server;

    public DeviceSocketGateTests() => _server = new ServerFactory(settings: _operator.Settings);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_plain_request_with_a_valid_credential_gets_400_websocket_required()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var response = await alice.Device.Client.GetAsync("/v1/ws");

        Assert.Equal((400, "websocket_required"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_missing_malformed_or_wrong_credential_gets_401_unauthenticated_with_a_bearer_challenge()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string deviceId = alice.Device.Credential[..alice.Device.Credential.IndexOf('.', StringComparison.Ordinal)];
        string wrongToken = deviceId + "." + new string('A', alice.Device.Credential.Length - deviceId.Length - 1);

        foreach (string? credential in new[] { null, "not-a-credential", wrongToken })
        {
            using HttpClient client = credential is null ? _server.CreateClient() : TestHttp.Authenticated(_server, credential);
            using var response = await client.GetAsync("/v1/ws");
            Assert.Equal((401, "unauthenticated"), Short(await TestHttp.ProblemAsync(response)));
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }
        var client2 = _server.Server.CreateWebSocketClient();
        client2.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + wrongToken;
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client2.ConnectAsync(new Uri(_server.Server.BaseAddress, "/v1/ws"), CancellationToken.None));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_device_cannot_reconnect()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice phone = await alice.AddDeviceAsync(_server);
        using HttpClient anonymous = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);
        using (var revoke = await alice.Device.Client.PostAsJsonAsync($"/v1/devices/{phone.Id}/revoke", alice.RevokeBody(challenge, phone.Id)))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestSockets.ConnectAsync(_server, phone));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        using var response = await phone.Client.GetAsync("/v1/ws");
        Assert.Equal((401, "unauthenticated"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_device_of_a_suspended_account_gets_403_account_suspended_and_no_socket()
    {
        TestUser bob = await TestUser.RegisterAsync(_server);
        using (var suspend = await _operator.PostAsync(_server, $"/v1/admin/accounts/{bob.Username}/suspend", new { reason = "spam wave" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, suspend.StatusCode);
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestSockets.ConnectAsync(_server, bob.Device));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        using var response = await bob.Device.Client.GetAsync("/v1/ws");
        Assert.Equal((403, "account_suspended"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task Connects_count_against_the_devices_rate_limit_with_its_other_requests_and_get_429_with_retry_after()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinute"] = "5" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);

        for (int i = 0; i < 3; i++)
        {
            using var mailbox = await alice.Device.Client.GetAsync("/v1/mailbox");
            Assert.Equal(HttpStatusCode.OK, mailbox.StatusCode);
        }
        using (WebSocket first = await TestSockets.ConnectAsync(server, alice.Device))
        {
            Assert.Equal(WebSocketState.Open, first.State);
        }
        using (var plain = await alice.Device.Client.GetAsync("/v1/ws"))
        {
            Assert.Equal((400, "websocket_required"), Short(await TestHttp.ProblemAsync(plain)));
        }

        // The window is spent: by a connect or by any other request, the device is refused until it ends.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestSockets.ConnectAsync(server, alice.Device));
        Assert.Contains("429", refused.Message, StringComparison.Ordinal);
        using (var limited = await alice.Device.Client.GetAsync("/v1/ws"))
        {
            Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(limited)));
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        }
        using (var limited = await alice.Device.Client.GetAsync("/v1/mailbox"))
        {
            Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(limited)));
        }
        // Another device has its own window.
        using WebSocket other = await TestSockets.ConnectAsync(server, bob.Device);
        Assert.Equal(WebSocketState.Open, other.State);
    }

    [Fact]
    public async Task Connects_without_a_valid_credential_count_against_the_address()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinute"] = "2" });
        using HttpClient anonymous = server.CreateClient();

        var statuses = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            using var response = await anonymous.GetAsync("/v1/ws");
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([401, 401, 429], statuses);
    }

    private static (int, string) Short((int Status, string Code, JsonElement _) problem) => (problem.Status, problem.Code);
}
