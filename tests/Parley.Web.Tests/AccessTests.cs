using System.Net;
using Parley.Cli.Tests;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>Only the browser that opened the printed address gets in: no token or cookie, a used token, a foreign
/// Host (DNS rebinding) or a foreign Origin on the live connection are refused, and show no account data.</summary>
public sealed class AccessTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Requests_without_the_token_or_cookie_a_used_token_and_a_foreign_host_are_refused()
    {
        string home = Path.Combine(fixture.Root, "carol");
        var created = await Cli.RunAsync("account", "create", "carol", "--server", fixture.Server.Address.ToString(), "--home", home);
        Assert.True(created.ExitCode == 0, created.ToString());
        await using var web = await WebProcess.StartAsync(home);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

        foreach (string path in new[] { "/", "/chat/abcdef", "/files/abcdef/x", "/_framework/blazor.web.js", "/_blazor/negotiate?negotiateVersion=1" })
        {
            using var refused = await http.GetAsync(new Uri(web.Root, path));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.DoesNotContain("carol", await refused.Content.ReadAsStringAsync());
        }

        // A foreign Host, even with the right token, is refused (and the token stays unused).
        using (var rebinding = new HttpRequestMessage(HttpMethod.Get, web.Address))
        {
            rebinding.Headers.Host = $"attacker.example:{web.Root.Port}";
            using var refused = await http.SendAsync(rebinding);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
        }

        // The token gives one HttpOnly, SameSite=Strict cookie, then is void.
        using var exchanged = await http.GetAsync(web.Address);
        Assert.Equal(HttpStatusCode.Redirect, exchanged.StatusCode);
        string cookie = Assert.Single(exchanged.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("default-src 'none'", exchanged.Headers.GetValues("Content-Security-Policy").Single());
        using (var again = await http.GetAsync(web.Address))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }

        string session = cookie.Split(';')[0];
        using (var page = new HttpRequestMessage(HttpMethod.Get, web.Root))
        {
            page.Headers.Add("Cookie", session);
            using var shown = await http.SendAsync(page);
            Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        }
        // The live connection from another site's page is refused even with the cookie.
        using (var live = new HttpRequestMessage(HttpMethod.Post, new Uri(web.Root, "/_blazor/negotiate?negotiateVersion=1")))
        {
            live.Headers.Add("Cookie", session);
            live.Headers.Add("Origin", "http://attacker.example");
            using var refused = await http.SendAsync(live);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // While it runs it serves the home's local endpoint; stopped, it removes the socket and frees the home.
        Assert.True(File.Exists(Path.Combine(home, "parley.sock")));
        Assert.Equal(0, await web.StopAsync());
        Assert.False(File.Exists(Path.Combine(home, "parley.sock")));
        var account = await Cli.RunAsync("account", "show", "--home", home);
        Assert.True(account.ExitCode == 0, account.ToString());
    }

    [Fact]
    public async Task A_web_app_waiting_for_its_passphrase_holds_the_home_against_other_commands()
    {
        string home = Path.Combine(fixture.Root, "dave");
        var created = await Cli.RunAsync("account", "create", "dave", "--server", fixture.Server.Address.ToString(), "--home", home);
        Assert.True(created.ExitCode == 0, created.ToString());
        await using (var web = await WebProcess.StartAsync(home, passphraseInEnvironment: false))
        {
            var refused = await Cli.RunAsync("account", "show", "--home", home);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("`parley web` waiting for its passphrase", refused.Error);
            Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(0, await web.StopAsync());
        }
        var shown = await Cli.RunAsync("account", "show", "--home", home);
        Assert.True(shown.ExitCode == 0, shown.ToString());
    }
}
