using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Parley.Server.Devices;

namespace Parley.Server.Tests;

public sealed class DeviceTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_device_added_with_the_account_signature_gets_its_own_credential()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice laptop = await alice.AddDeviceAsync(_server);

        using var response = await laptop.Client.GetAsync("/v1/devices");
        await TestHttp.EnsureAsync(response);
        var list = (await response.Content.ReadFromJsonAsync<DeviceListResponse>(TestHttp.Json))!;

        Assert.Equal([alice.Device.Id, laptop.Id], list.Devices.Select(d => d.DeviceId));
        Assert.Equal([false, true], list.Devices.Select(d => d.Current));
        Assert.NotEqual(alice.Device.Credential, laptop.Credential);
    }

    [Fact]
    public async Task Adding_a_device_signed_by_another_key_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        using HttpClient client = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(client);
        var attacker = TestUser.Suite.GenerateSignatureKeyPair();

        using var response = await client.PostAsJsonAsync($"/v1/accounts/{alice.Username}/devices",
            alice.AddDeviceBody(challenge, TestUser.Suite.GenerateSignatureKeyPair(), attacker.PrivateKey));

        var (status, code, _) = await TestHttp.ProblemAsync(response);
        Assert.Equal(400, status);
        Assert.Equal("invalid_signature", code);
    }

    [Fact]
    public async Task A_device_key_cannot_be_registered_twice()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        using HttpClient client = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(client);

        using var response = await client.PostAsJsonAsync($"/v1/accounts/{alice.Username}/devices",
            alice.AddDeviceBody(challenge, alice.Device.SignatureKey));

        Assert.Equal("device_exists", (await TestHttp.ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task A_revoked_device_is_cut_off_at_once()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice phone = await alice.AddDeviceAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await phone.UploadKeyPackagesAsync(1);
        TestGroup group = await TestGroup.CreateAsync(bob.Device);
        await group.AddAsync(bob.Device, alice);
        Assert.NotEmpty(await TestMailbox.ReadAsync(phone));

        using WebSocket socket = await TestSockets.ConnectAsync(_server, phone);
        using HttpClient anonymous = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);
        using var revoke = await alice.Device.Client.PostAsJsonAsync($"/v1/devices/{phone.Id}/revoke", alice.RevokeBody(challenge, phone.Id));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        // Its WebSocket is closed with 4001, its credential refused, its mailbox gone.
        var (closeStatus, _) = await TestSockets.ReadUntilClosedAsync(socket);
        Assert.Equal((WebSocketCloseStatus)4001, closeStatus);
        using var refused = await phone.Client.GetAsync("/v1/mailbox");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var list = (await alice.Device.Client.GetFromJsonAsync<DeviceListResponse>("/v1/devices", TestHttp.Json))!;
        Assert.True(list.Devices.Single(d => d.DeviceId == phone.Id).Revoked);
        using var directory = await bob.Device.Client.GetAsync($"/v1/accounts/{alice.Username}");
        Assert.DoesNotContain(phone.Id, await directory.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_device_of_another_account_cannot_be_revoked()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser mallory = await TestUser.RegisterAsync(_server);
        using HttpClient anonymous = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);

        using var response = await mallory.Device.Client.PostAsJsonAsync($"/v1/devices/{alice.Device.Id}/revoke",
            mallory.RevokeBody(challenge, alice.Device.Id));

        Assert.Equal("device_not_found", (await TestHttp.ProblemAsync(response)).Code);
        using var still = await alice.Device.Client.GetAsync("/v1/devices");
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Revoking_without_the_account_signature_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice phone = await alice.AddDeviceAsync(_server);
        using HttpClient anonymous = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);

        using var response = await phone.Client.PostAsJsonAsync($"/v1/devices/{alice.Device.Id}/revoke",
            new { challenge, signature = new byte[64] });

        Assert.Equal("invalid_signature", (await TestHttp.ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task A_suspended_account_cannot_add_a_device_and_nothing_changes()
    {
        var operatorKey = new TestOperator();
        await using var server = new ServerFactory(settings: operatorKey.Settings);
        TestUser sam = await TestUser.RegisterAsync(server);
        using (var suspend = await operatorKey.PostAsync(server, $"/v1/admin/accounts/{sam.Username}/suspend", new { reason = "spam" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, suspend.StatusCode);
        }
        using HttpClient anonymous = server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(anonymous);
        object body = sam.AddDeviceBody(challenge, TestUser.Suite.GenerateSignatureKeyPair());

        using var refused = await anonymous.PostAsJsonAsync($"/v1/accounts/{sam.Username}/devices", body);

        Assert.Equal((403, "account_suspended"), Short(await TestHttp.ProblemAsync(refused)));
        using (var restore = await operatorKey.PostAsync(server, $"/v1/admin/accounts/{sam.Username}/restore"))
        {
            Assert.Equal(HttpStatusCode.NoContent, restore.StatusCode);
        }
        Assert.Single((await sam.Device.Client.GetFromJsonAsync<DeviceListResponse>("/v1/devices", TestHttp.Json))!.Devices);
        // The refusal spent nothing: once restored, the same signed request with the same challenge adds the device.
        using var added = await anonymous.PostAsJsonAsync($"/v1/accounts/{sam.Username}/devices", body);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
