using System.Net;
using System.Net.Http.Json;
using Parley.Server.Accounts;

namespace Parley.Server.Tests;

public sealed class AccountTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Registration_creates_the_account_and_a_working_device_credential()
    {
        TestUser alice = await TestUser.RegisterAsync(_server, "Alice.Example");

        using var response = await alice.Device.Client.GetAsync("/v1/accounts/alice.example");
        await TestHttp.EnsureAsync(response);
        var entry = (await response.Content.ReadFromJsonAsync<DirectoryEntry>(TestHttp.Json))!;
        Assert.Equal("alice.example", entry.Username);
        Assert.Equal(alice.Identity.PublicKey, entry.IdentityKey);
        DirectoryDevice device = Assert.Single(entry.Devices);
        Assert.Equal(alice.Device.Id, device.DeviceId);
        Assert.Equal(alice.Device.SignatureKey.PublicKey, device.SignatureKey);
        Assert.True(AccountSignatures.Verify(entry.IdentityKey,
            AccountSignatures.DeviceCertificate(entry.Username, device.CipherSuite, device.SignatureKey), device.Certificate));
    }

    [Fact]
    public async Task Usernames_are_unique_without_regard_to_case()
    {
        await TestUser.RegisterAsync(_server, "bob");

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => TestUser.RegisterAsync(_server, "BOB"));
        Assert.StartsWith("409", ex.Message, StringComparison.Ordinal);
        Assert.Contains("username_taken", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    [InlineData("bad name")]
    [InlineData("émile")]
    [InlineData("semi;colon")]
    public async Task Invalid_usernames_are_refused(string username)
    {
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => TestUser.RegisterAsync(_server, username));
        Assert.StartsWith("400", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_username", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registration_signed_by_another_key_is_refused()
    {
        using HttpClient client = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(client);
        var impostorKey = TestUser.Suite.GenerateSignatureKeyPair();
        var user = TestUser.Create("carol");
        var deviceKey = TestUser.Suite.GenerateSignatureKeyPair();

        using var response = await client.PostAsJsonAsync("/v1/accounts", user.RegistrationBody(challenge, deviceKey, impostorKey.PrivateKey));

        var (status, code, _) = await TestHttp.ProblemAsync(response);
        Assert.Equal(400, status);
        Assert.Equal("invalid_signature", code);
    }

    [Fact]
    public async Task A_challenge_cannot_be_used_twice()
    {
        using HttpClient client = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(client);
        var first = TestUser.Create("dave");
        var second = TestUser.Create("erin");

        using var ok = await client.PostAsJsonAsync("/v1/accounts", first.RegistrationBody(challenge, TestUser.Suite.GenerateSignatureKeyPair()));
        using var replay = await client.PostAsJsonAsync("/v1/accounts", second.RegistrationBody(challenge, TestUser.Suite.GenerateSignatureKeyPair()));

        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var (status, code, _) = await TestHttp.ProblemAsync(replay);
        Assert.Equal(400, status);
        Assert.Equal("invalid_challenge", code);
    }

    [Fact]
    public async Task An_expired_challenge_is_refused()
    {
        using HttpClient client = _server.CreateClient();
        byte[] challenge = await TestHttp.ChallengeAsync(client);
        _server.Time.Advance(TimeSpan.FromMinutes(6));
        var user = TestUser.Create("frank");

        using var response = await client.PostAsJsonAsync("/v1/accounts", user.RegistrationBody(challenge, TestUser.Suite.GenerateSignatureKeyPair()));

        Assert.Equal("invalid_challenge", (await TestHttp.ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task An_identity_key_of_the_wrong_length_is_refused()
    {
        using HttpClient client = _server.CreateClient();
        using var response = await client.PostAsync("/v1/accounts", TestHttp.RawJson(
            """{"username":"gina","identityKey":"AAAA","challenge":"AAAA","signature":"AAAA","device":{"cipherSuite":1,"signatureKey":"AAAA","certificate":"AAAA"}}"""));

        var (status, code, _) = await TestHttp.ProblemAsync(response);
        Assert.Equal(400, status);
        Assert.Equal("invalid_key", code);
    }

    [Fact]
    public async Task Looking_up_an_unknown_user_is_a_404_problem()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var response = await alice.Device.Client.GetAsync("/v1/accounts/nobody-here");

        var (status, code, _) = await TestHttp.ProblemAsync(response);
        Assert.Equal(404, status);
        Assert.Equal("account_not_found", code);
    }
}
