using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Server.KeyPackages;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Tests;

public sealed class KeyPackageTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Uploaded_key_packages_are_counted()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        await alice.Device.UploadKeyPackagesAsync(5, lastResort: true);

        var count = await alice.Device.Client.GetFromJsonAsync<KeyPackageCountResponse>("/v1/keypackages/count", TestHttp.Json);
        Assert.Equal(new KeyPackageCountResponse(5, true), count);
    }

    [Fact]
    public async Task Bytes_that_are_not_a_key_package_are_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var garbage = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages", new { keyPackages = new[] { new byte[] { 0, 1, 0, 5, 1 } } });
        using var group = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { TestMls.Application(TestMls.NewGroupId(), 0) } });

        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(garbage)));
        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(group)));
    }

    [Fact]
    public async Task A_key_package_signed_with_another_key_than_the_devices_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        byte[] foreign = TestMls.KeyPackage(alice.Device.Id, TestUser.Suite.GenerateSignatureKeyPair());

        using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages", new { keyPackages = new[] { foreign } });

        var (_, code, body) = await TestHttp.ProblemAsync(response);
        Assert.Equal("invalid_key_package", code);
        Assert.Contains("signature key", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_package_naming_another_device_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        byte[] wrongIdentity = TestMls.KeyPackage(bob.Device.Id, alice.Device.SignatureKey);

        using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages", new { keyPackages = new[] { wrongIdentity } });

        Assert.Equal("invalid_key_package", (await TestHttp.ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task A_key_package_with_a_broken_signature_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        var record = TestMls.KeyPackageRecord(alice.Device.Id, alice.Device.SignatureKey);
        byte[] signature = (byte[])record.Signature.Clone();
        signature[0] ^= 1;
        byte[] tampered = Parley.Mls.Codec.MlsEncodableExtensions.ToBytes(new Parley.Mls.Messages.MlsMessage(record with { Signature = signature }));

        using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages", new { keyPackages = new[] { tampered } });

        Assert.Equal("invalid_key_package", (await TestHttp.ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task An_expired_key_package_is_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        ulong past = (ulong)DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds();

        using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { alice.Device.NewKeyPackage(0, past) } });

        Assert.Equal("invalid_key_package", (await TestHttp.ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task A_claim_takes_one_package_per_device_and_deletes_it()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestDevice laptop = await alice.AddDeviceAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await alice.Device.UploadKeyPackagesAsync(2);
        await laptop.UploadKeyPackagesAsync(1);

        var claimed = await ClaimAsync(bob.Device, alice.Username);

        Assert.Equal([alice.Device.Id, laptop.Id], claimed.KeyPackages.Select(k => k.DeviceId));
        Assert.All(claimed.KeyPackages, k => Assert.False(k.LastResort));
        Assert.Equal(alice.Device.Id, System.Text.Encoding.ASCII.GetString(
            TestMls.DecodeKeyPackage(claimed.KeyPackages[0].KeyPackage).LeafNode.Credential.Identity!));
        var count = await alice.Device.Client.GetFromJsonAsync<KeyPackageCountResponse>("/v1/keypackages/count", TestHttp.Json);
        Assert.Equal(1, count!.Count);
    }

    [Fact]
    public async Task The_last_resort_package_is_handed_out_when_none_is_left_and_kept()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await alice.Device.UploadKeyPackagesAsync(1, lastResort: true);

        var first = await ClaimAsync(bob.Device, alice.Username);
        var second = await ClaimAsync(bob.Device, alice.Username);
        var third = await ClaimAsync(bob.Device, alice.Username);

        Assert.False(first.KeyPackages.Single().LastResort);
        Assert.True(second.KeyPackages.Single().LastResort);
        Assert.True(third.KeyPackages.Single().LastResort);
        Assert.Equal(second.KeyPackages[0].KeyPackage, third.KeyPackages[0].KeyPackage);
    }

    [Fact]
    public async Task Claiming_from_a_user_without_packages_is_a_clear_404()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);

        using var response = await bob.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);

        var (status, code, body) = await TestHttp.ProblemAsync(response);
        Assert.Equal((404, "no_key_packages"), (status, code));
        Assert.Contains("ask", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_concurrent_claims_never_get_the_same_package()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        TestUser carol = await TestUser.RegisterAsync(_server);
        await alice.Device.UploadKeyPackagesAsync(40);

        var claims = Enumerable.Range(0, 40)
            .Select(i => ClaimAsync(i % 2 == 0 ? bob.Device : carol.Device, alice.Username))
            .ToArray();
        var results = await Task.WhenAll(claims);

        var packages = results.Select(r => Convert.ToBase64String(r.KeyPackages.Single().KeyPackage)).ToList();
        Assert.Equal(40, packages.Distinct().Count());
        Assert.All(results, r => Assert.False(r.KeyPackages.Single().LastResort));
    }

    [Fact]
    public async Task A_device_cannot_store_more_than_the_limit()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:MaxKeyPackagesPerDevice"] = "3" });
        TestUser alice = await TestUser.RegisterAsync(server);
        await alice.Device.UploadKeyPackagesAsync(3);

        using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { alice.Device.NewKeyPackage() } });

        Assert.Equal((409, "too_many_key_packages"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task One_account_may_claim_another_accounts_key_packages_only_a_few_times_an_hour()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:KeyPackageClaimsPerTargetPerHour"] = "3" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestDevice laptop = await alice.AddDeviceAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);
        TestUser carol = await TestUser.RegisterAsync(server);
        await alice.Device.UploadKeyPackagesAsync(20, lastResort: true);
        await laptop.UploadKeyPackagesAsync(20, lastResort: true);

        for (int i = 0; i < 3; i++)
        {
            await ClaimAsync(bob.Device, alice.Username);
        }
        using var refused = await bob.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);

        Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(refused)));
        int retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Equal(17, (await CountAsync(alice.Device)).Count);
        // Another claimer, and alice's own devices adding each other, have limits of their own.
        await ClaimAsync(carol.Device, alice.Username);
        for (int i = 0; i < 4; i++)
        {
            await ClaimAsync(laptop, alice.Username);
        }
    }

    [Fact]
    public async Task Many_accounts_together_cannot_drain_an_accounts_one_time_packages_within_an_hour()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:OneTimeKeyPackageClaimsPerHour"] = "5" });
        TestUser alice = await TestUser.RegisterAsync(server);
        await alice.Device.UploadKeyPackagesAsync(20, lastResort: true);
        var claimers = new List<TestUser>();
        for (int i = 0; i < 8; i++)
        {
            claimers.Add(await TestUser.RegisterAsync(server));
        }

        var answers = new List<ClaimKeyPackagesResponse>();
        foreach (TestUser claimer in claimers)
        {
            answers.Add(await ClaimAsync(claimer.Device, alice.Username));
        }

        Assert.Equal([false, false, false, false, false, true, true, true], answers.Select(a => a.KeyPackages.Single().LastResort));
        Assert.Equal(new KeyPackageCountResponse(15, true), await CountAsync(alice.Device));
        // A new hour, a new allowance.
        server.Time.Advance(TimeSpan.FromHours(1));
        Assert.False((await ClaimAsync(claimers[0].Device, alice.Username)).KeyPackages.Single().LastResort);
    }

    [Fact]
    public async Task When_the_hours_one_time_claims_are_spent_an_account_without_a_last_resort_package_answers_429()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:OneTimeKeyPackageClaimsPerHour"] = "1" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser bob = await TestUser.RegisterAsync(server);
        TestUser carol = await TestUser.RegisterAsync(server);
        await alice.Device.UploadKeyPackagesAsync(5);
        await ClaimAsync(bob.Device, alice.Username);
        server.Time.Advance(TimeSpan.FromMinutes(30));

        using var refused = await carol.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);

        Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(refused)));
        Assert.Equal("1800", Assert.Single(refused.Headers.GetValues("Retry-After")));
        Assert.Equal(4, (await CountAsync(alice.Device)).Count);
    }

    [Fact]
    public async Task A_claimer_the_target_blocks_gets_exactly_the_answer_for_an_account_without_key_packages()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:KeyPackageClaimsPerTargetPerHour"] = "2" });
        TestUser alice = await TestUser.RegisterAsync(server);
        TestUser carol = await TestUser.RegisterAsync(server);
        TestUser mallory = await TestUser.RegisterAsync(server);
        using var empty = await carol.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);
        string emptyBody = await empty.Content.ReadAsStringAsync();
        await alice.Device.UploadKeyPackagesAsync(5, lastResort: true);
        using (var block = await alice.Device.Client.PutAsync($"/v1/blocks/{mallory.Username}", null))
        {
            await TestHttp.EnsureAsync(block);
        }

        using var blocked = await mallory.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);

        Assert.Equal(empty.StatusCode, blocked.StatusCode);
        Assert.Equal(empty.Content.Headers.ContentType, blocked.Content.Headers.ContentType);
        Assert.Equal(WithoutTraceId(emptyBody), WithoutTraceId(await blocked.Content.ReadAsStringAsync()));
        Assert.Equal(new KeyPackageCountResponse(5, true), await CountAsync(alice.Device));
        // The per-pair limit counts a blocked claimer's claims as it counts everyone's, so it cannot tell that way either.
        using var second = await mallory.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);
        Assert.Equal((404, "no_key_packages"), Short(await TestHttp.ProblemAsync(second)));
        using var third = await mallory.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim", null);
        Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(third)));
    }

    [Fact]
    public async Task A_last_resort_package_must_say_so_and_a_one_time_package_must_not()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);

        using var unmarked = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = Array.Empty<byte[]>(), lastResort = alice.Device.NewKeyPackage() });
        using var marked = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { alice.Device.NewKeyPackage(lastResort: true) } });

        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(unmarked)));
        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(marked)));
        Assert.Equal(new KeyPackageCountResponse(0, false), await CountAsync(alice.Device));
    }

    /// <summary>A problem body without its per-request trace id, the one member that differs between any two answers.</summary>
    private static string WithoutTraceId(string problem)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(problem)!.AsObject();
        Assert.True(body.Remove("traceId"));
        return body.ToJsonString();
    }

    [Fact]
    public async Task A_claim_hands_out_packages_of_the_suite_it_asks_for_and_each_suite_keeps_its_last_resort()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await alice.Device.UploadKeyPackagesAsync(2, lastResort: true);
        await alice.Device.UploadKeyPackagesAsync(1, lastResort: true, cipherSuite: 83);

        var postQuantum = (await ClaimAsync(bob.Device, alice.Username, "?suite=83")).KeyPackages.Single();
        var postQuantumLastResort = (await ClaimAsync(bob.Device, alice.Username, "?suite=83")).KeyPackages.Single();
        var classic = (await ClaimAsync(bob.Device, alice.Username)).KeyPackages.Single();

        Assert.Equal((83, false), (TestMls.DecodeKeyPackage(postQuantum.KeyPackage).CipherSuite, postQuantum.LastResort));
        Assert.Equal((83, true), (TestMls.DecodeKeyPackage(postQuantumLastResort.KeyPackage).CipherSuite, postQuantumLastResort.LastResort));
        Assert.Equal((1, false), (TestMls.DecodeKeyPackage(classic.KeyPackage).CipherSuite, classic.LastResort));
        Assert.Equal(new KeyPackageCountResponse(1, true), await CountAsync(alice.Device));
        Assert.Equal(new KeyPackageCountResponse(0, true), await CountAsync(alice.Device, "?suite=83"));
        var directory = await bob.Device.Client.GetFromJsonAsync<Parley.Server.Accounts.DirectoryEntry>($"/v1/accounts/{alice.Username}", TestHttp.Json);
        Assert.Equal([1, 83], directory!.Devices.Single().KeyPackageSuites);
    }

    [Fact]
    public async Task A_claim_or_count_for_a_suite_the_server_does_not_know_is_refused_and_takes_nothing()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await alice.Device.UploadKeyPackagesAsync(1);

        foreach (string suite in new[] { "999", "abc", "-1", "65536" })
        {
            using var claim = await bob.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim?suite={suite}", null);
            using var count = await alice.Device.Client.GetAsync($"/v1/keypackages/count?suite={suite}");
            var (status, code, body) = await TestHttp.ProblemAsync(claim);
            Assert.Equal((400, "unsupported_cipher_suite"), (status, code));
            Assert.Contains("does not know MLS cipher suite", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal((400, "unsupported_cipher_suite"), Short(await TestHttp.ProblemAsync(count)));
        }
        Assert.Equal(new KeyPackageCountResponse(1, false), await CountAsync(alice.Device));
    }

    [Fact]
    public async Task A_claim_for_a_suite_no_device_has_packages_in_is_a_clear_404()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await alice.Device.UploadKeyPackagesAsync(1, lastResort: true);

        using var response = await bob.Device.Client.PostAsync($"/v1/accounts/{alice.Username}/keypackages/claim?suite=83", null);

        Assert.Equal((404, "no_key_packages"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Equal(new KeyPackageCountResponse(1, true), await CountAsync(alice.Device));
    }

    [Fact]
    public async Task Key_packages_in_a_suite_that_signs_otherwise_or_mixing_suites_in_one_upload_are_refused()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        var p256 = CipherSuite.Get(2).GenerateSignatureKeyPair();

        using var otherScheme = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { TestMls.KeyPackage(alice.Device.Id, p256, cipherSuite: 2) } });
        using var mixed = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages",
            new { keyPackages = new[] { alice.Device.NewKeyPackage(), alice.Device.NewKeyPackage(cipherSuite: 83) } });

        var (status, code, body) = await TestHttp.ProblemAsync(otherScheme);
        Assert.Equal((422, "invalid_key_package"), (status, code));
        Assert.Contains("signs like the device's suite 1", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(mixed)));
        Assert.Equal(new KeyPackageCountResponse(0, false), await CountAsync(alice.Device));
        Assert.Equal(new KeyPackageCountResponse(0, false), await CountAsync(alice.Device, "?suite=83"));
    }

    [Fact]
    public async Task The_checks_of_suite_1_key_packages_hold_for_suite_83()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        var record = TestMls.KeyPackageRecord(alice.Device.Id, alice.Device.SignatureKey, cipherSuite: 83);
        byte[] signature = (byte[])record.Signature.Clone();
        signature[0] ^= 1;
        byte[] tampered = new Parley.Mls.Messages.MlsMessage(record with { Signature = signature }).ToBytes();
        byte[] foreignKey = TestMls.KeyPackage(alice.Device.Id, TestUser.Suite.GenerateSignatureKeyPair(), cipherSuite: 83);
        byte[] otherDevice = TestMls.KeyPackage(bob.Device.Id, alice.Device.SignatureKey, cipherSuite: 83);
        byte[] expired = alice.Device.NewKeyPackage(0, (ulong)DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), cipherSuite: 83);
        byte[] unmarked = alice.Device.NewKeyPackage(cipherSuite: 83);

        foreach (byte[] bad in new[] { tampered, foreignKey, otherDevice, expired })
        {
            using var response = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages", new { keyPackages = new[] { bad } });
            Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(response)));
        }
        using (var lastResort = await alice.Device.Client.PostAsJsonAsync("/v1/keypackages", new { lastResort = unmarked }))
        {
            Assert.Equal((422, "invalid_key_package"), Short(await TestHttp.ProblemAsync(lastResort)));
        }
        Assert.Equal(new KeyPackageCountResponse(0, false), await CountAsync(alice.Device, "?suite=83"));
    }

    [Fact]
    public async Task A_version_1_database_keeps_its_key_packages_in_suite_1()
    {
        var (directory, path) = ServerFactory.Version1Database(
            "INSERT INTO key_packages (device_id, package_ref, data, last_resort, not_after) VALUES ('d', x'01', x'02', 1, 9999999999)");

        await using (var server = new ServerFactory(directory) { KeepData = true })
        {
            server.Services.GetRequiredService<Parley.Server.Storage.IStorageEngine>();
        }

        using (var upgraded = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            upgraded.Open();
            Assert.Equal(1L, upgraded.Scalar("SELECT cipher_suite FROM key_packages WHERE device_id = 'd'"));
            Assert.Equal((long)SqliteMigrations.Version, upgraded.Scalar("SELECT version FROM schema_version"));
        }
        ServerFactory.DeleteQuietly(directory);
    }

    private static async Task<KeyPackageCountResponse> CountAsync(TestDevice device, string query = "")
        => (await device.Client.GetFromJsonAsync<KeyPackageCountResponse>("/v1/keypackages/count" + query, TestHttp.Json))!;

    private static async Task<ClaimKeyPackagesResponse> ClaimAsync(TestDevice claimer, string username, string query = "")
    {
        using var response = await claimer.Client.PostAsync($"/v1/accounts/{username}/keypackages/claim{query}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ClaimKeyPackagesResponse>(TestHttp.Json))!;
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
