using System.Net;
using System.Net.Http.Json;

namespace Parley.Server.Tests;

public sealed class ProtectionTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("GET", "/v1/mailbox")]
    [InlineData("GET", "/v1/devices")]
    [InlineData("POST", "/v1/keypackages")]
    [InlineData("POST", "/v1/groups")]
    [InlineData("GET", "/v1/accounts/alice")]
    public async Task Requests_without_a_credential_get_a_401_problem(string method, string path)
    {
        using HttpClient client = _server.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? TestHttp.RawJson("{}") : null,
        });

        Assert.Equal((401, "unauthenticated"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("0123456789abcdef0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task A_malformed_or_unknown_credential_is_refused(string credential)
    {
        using HttpClient client = TestHttp.Authenticated(_server, credential);

        using var response = await client.GetAsync("/v1/mailbox");

        Assert.Equal((401, "unauthenticated"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_right_device_id_with_a_wrong_token_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string forged = alice.Device.Id + "." + new string('A', 43);
        using HttpClient client = TestHttp.Authenticated(_server, forged);

        using var response = await client.GetAsync("/v1/mailbox");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Malformed_json_gets_a_400_problem()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var broken = await alice.Device.Client.PostAsync("/v1/groups", TestHttp.RawJson("{\"groupId\": "));
        using var badBase64 = await alice.Device.Client.PostAsync("/v1/keypackages", TestHttp.RawJson("""{"keyPackages":["not base64!"]}"""));

        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(broken)));
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(badBase64)));
    }

    [Fact]
    public async Task An_oversized_body_gets_a_413_problem()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { new byte[2 * 1024 * 1024] } });

        Assert.Equal((413, "request_too_large"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task An_oversized_mls_message_gets_a_413_problem()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:MaxMessageBytes"] = "1000" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);

        using var response = await group.SendAsync(alice.Device, TestMls.Application(group.Id, 0, size: 2000));

        Assert.Equal((413, "message_too_large"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_welcome_may_be_larger_than_other_messages_up_to_its_own_limit()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?>
        {
            ["Parley:MaxMessageBytes"] = "1000",
            ["Parley:MaxWelcomeBytes"] = "1500000",
        });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);
        HttpClient client = alice.Device.Client;
        string url = $"/v1/groups/{group.IdText}/messages";

        // Over the general 1 MiB request limit, but within the send endpoint's own: the Welcome is read and judged.
        using var large = await client.PostAsJsonAsync(url, new { id = "w1", message = new byte[10], welcome = new byte[1_200_000] });
        using var tooLarge = await client.PostAsJsonAsync(url, new { id = "w2", message = new byte[10], welcome = new byte[1_510_000] });

        Assert.Equal((400, "malformed_mls_message"), Short(await TestHttp.ProblemAsync(large)));
        Assert.Equal((413, "message_too_large"), Short(await TestHttp.ProblemAsync(tooLarge)));
    }

    [Fact]
    public async Task Unknown_endpoints_and_methods_get_problems()
    {
        using HttpClient client = _server.CreateClient();

        using var missing = await client.GetAsync("/v1/nothing-here");
        using var method = await client.PutAsync("/healthz", null);

        Assert.Equal((404, "not_found"), Short(await TestHttp.ProblemAsync(missing)));
        Assert.Equal((405, "method_not_allowed"), Short(await TestHttp.ProblemAsync(method)));
    }

    [Fact]
    public async Task A_device_over_its_rate_limit_gets_429_with_retry_after()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinute"] = "5" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 8; i++)
        {
            var response = await alice.Device.Client.GetAsync("/v1/mailbox");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= response;
            }
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.NotNull(limited);
        Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(limited)));
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        // Another device has its own budget.
        using var other = await bob.Device.Client.GetAsync("/v1/mailbox");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task An_account_over_its_rate_limit_gets_429_across_all_its_devices()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinutePerAccount"] = "6" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestDevice phone = await alice.AddDeviceAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 4; i++)
        {
            foreach (TestDevice device in new[] { alice.Device, phone })
            {
                using var response = await device.Client.GetAsync("/v1/mailbox");
                statuses.Add(response.StatusCode);
            }
        }

        // Each device sent 4, under its own limit; together they passed the account's 6.
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        using var other = await bob.Device.Client.GetAsync("/v1/mailbox");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task An_address_over_its_rate_limit_gets_429_whatever_the_accounts_behind_it()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinutePerAddress"] = "12" });
        // Two registrations (a challenge and an account each) use 4 of the address's 12.
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
        {
            foreach (TestUser user in new[] { alice, bob })
            {
                using var response = await user.Device.Client.GetAsync("/v1/mailbox");
                statuses.Add(response.StatusCode);
            }
        }

        Assert.Equal(8, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        using var limited = await alice.Device.Client.GetAsync("/v1/devices");
        Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(limited)));
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task Blob_requests_count_against_the_device_limit()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinute"] = "3" });
        TestUser alice = await TestUser.RegisterAsync(server);

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 4; i++)
        {
            using var response = await alice.Device.Client.PostAsJsonAsync("/v1/blobs", new { size = 10 });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Anonymous_endpoints_are_rate_limited_per_address()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:AnonymousRequestsPerMinute"] = "3" });
        using HttpClient client = server.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
        {
            using var response = await client.PostAsync("/v1/challenges", null);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
