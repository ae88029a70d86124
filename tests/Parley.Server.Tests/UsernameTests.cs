// docs/server-protocol.md, "Usernames": names are ASCII (letters, digits, '_', '.', '-'), ASCII case folds,
// every other character is refused rather than mapped, and a name whose confusable skeleton is taken is
// refused with 409 username_confusable. Accounts from before the skeleton rule keep their names.
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Tests;

public sealed class UsernameTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task AssertRefusedAsync(Task registration, string status, string code)
    {
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => registration);
        Assert.StartsWith(status, ex.Message, StringComparison.Ordinal);
        Assert.Contains(code, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kelvin_sign_is_refused_not_folded_to_an_ascii_k()
    {
        await AssertRefusedAsync(TestUser.RegisterAsync(_server, "\u212Aelvin"), "400", "invalid_username");

        // Nor does it find the account spelled with an ASCII k.
        TestUser kelvin = await TestUser.RegisterAsync(_server, "kelvin");
        using var response = await kelvin.Device.Client.GetAsync("/v1/accounts/%E2%84%AAelvin");
        var (status, code, _) = await TestHttp.ProblemAsync(response);
        Assert.Equal(400, status);
        Assert.Equal("invalid_username", code);
    }

    [Theory]
    [InlineData("\uFF41\uFF4C\uFF49\uFF43\uFF45")] // fullwidth "alice"
    [InlineData("\uFF21lice")] // fullwidth capital A
    [InlineData("\u0430lice")] // Cyrillic а, then Latin
    [InlineData("\u0430\u0441\u0435")] // all Cyrillic: асе
    [InlineData("ali\u200Bce")] // zero-width space
    [InlineData("ali\u200Dce")] // zero-width joiner
    [InlineData("\uFEFFalice")] // byte order mark
    [InlineData("alice\u0301")] // combining acute accent
    [InlineData("\u0130van")] // capital I with dot above
    [InlineData("\u017Fam")] // long s
    [InlineData("ali\u00A0ce")] // no-break space
    [InlineData("al\uD835\uDC22ce")] // mathematical bold small i
    public async Task A_name_with_any_character_outside_ascii_is_refused(string username)
    {
        await AssertRefusedAsync(TestUser.RegisterAsync(_server, username), "400", "invalid_username");
    }

    [Theory]
    [InlineData("bob", "b0b")]
    [InlineData("paypal", "paypa1")]
    [InlineData("mallory", "rnallory")]
    [InlineData("rnary", "mary")]
    [InlineData("c00l", "COOL")]
    public async Task A_name_that_looks_like_a_registered_one_is_refused_as_confusable(string registered, string lookalike)
    {
        TestUser first = await TestUser.RegisterAsync(_server, registered);

        await AssertRefusedAsync(TestUser.RegisterAsync(_server, lookalike), "409", "username_confusable");

        // The look-alike was not registered; the first name still is.
        using var response = await first.Device.Client.GetAsync($"/v1/accounts/{lookalike}");
        Assert.Equal(404, (await TestHttp.ProblemAsync(response)).Status);
    }

    [Fact]
    public async Task Case_variants_are_one_name()
    {
        TestUser carol = await TestUser.RegisterAsync(_server, "Carol.Case");

        using var response = await carol.Device.Client.GetAsync("/v1/accounts/cAROL.CASE");
        await TestHttp.EnsureAsync(response);
        Assert.Equal("carol.case", (await response.Content.ReadFromJsonAsync<DirectoryEntry>(TestHttp.Json))!.Username);
        await AssertRefusedAsync(TestUser.RegisterAsync(_server, "CAROL.CASE"), "409", "username_taken");
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public async Task A_name_has_3_to_32_characters(int length, bool valid)
    {
        string username = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + i % 26)));
        if (valid)
        {
            Assert.Equal(username, (await TestUser.RegisterAsync(_server, username)).Username);
        }
        else
        {
            await AssertRefusedAsync(TestUser.RegisterAsync(_server, username), "400", "invalid_username");
        }
    }

    [Theory]
    [InlineData("bob")]
    [InlineData("b0b")]
    [InlineData("m0m1")]
    [InlineData("mm00m11m")]
    [InlineData("a_1.0-m")]
    public void The_skeleton_the_migration_computes_in_sql_is_the_username_profiles(string name)
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();

        Assert.Equal(Parley.Content.UsernameProfile.Skeleton(name), connection.Scalar($"SELECT {Username.SkeletonSql("$u")}", ("$u", name)));
    }

    [Fact]
    public async Task Accounts_from_before_the_skeleton_rule_keep_their_names_and_hold_their_skeleton()
    {
        // A version-1 database in which two names already share the skeleton "cool".
        var (directory, path) = ServerFactory.Version1Database(
            "INSERT INTO accounts (account_id, username, identity_key) VALUES ('a1', 'c00l', x'01'), ('a2', 'cool', x'02')");

        await using (var server = new ServerFactory(directory) { KeepData = true })
        {
            TestUser viewer = await TestUser.RegisterAsync(server, "viewer");
            foreach (string legacy in new[] { "c00l", "cool" })
            {
                using var response = await viewer.Device.Client.GetAsync($"/v1/accounts/{legacy}");
                await TestHttp.EnsureAsync(response);
            }
            await AssertRefusedAsync(TestUser.RegisterAsync(server, "co0l"), "409", "username_confusable");
        }

        using (var upgraded = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            upgraded.Open();
            Assert.Equal(SqliteMigrations.Version, (long)upgraded.Scalar("SELECT version FROM schema_version")!);
            Assert.Equal("a1", upgraded.Scalar("SELECT account_id FROM username_skeletons WHERE skeleton = 'cool'"));
        }
        ServerFactory.DeleteQuietly(directory);
    }
}
