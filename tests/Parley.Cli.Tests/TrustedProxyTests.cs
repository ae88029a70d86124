using System.Net;

namespace Parley.Cli.Tests;

/// <summary>Behind a reverse proxy named in Parley:TrustedProxies, per-address rate limits count each client by the address
/// the proxy forwards; from anyone else X-Forwarded-For is ignored.</summary>
public sealed class TrustedProxyTests
{
    [Fact]
    public async Task A_trusted_proxy_s_clients_are_limited_each_by_their_own_address()
    {
        using var temp = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(temp.Sub("server"),
            "--Parley:AnonymousRequestsPerMinute", "2", "--Parley:TrustedProxies", "127.0.0.1,::1");
        using var http = new HttpClient { BaseAddress = server.Address };

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            [await Challenge(http, "203.0.113.7"), await Challenge(http, "203.0.113.7"), await Challenge(http, "203.0.113.7")]);
        Assert.Equal(HttpStatusCode.OK, await Challenge(http, "203.0.113.8"));
    }

    [Fact]
    public async Task Without_trusted_proxies_a_forwarded_address_does_not_escape_the_limit()
    {
        using var temp = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(temp.Sub("server"), "--Parley:AnonymousRequestsPerMinute", "2");
        using var http = new HttpClient { BaseAddress = server.Address };

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            [await Challenge(http, "203.0.113.7"), await Challenge(http, "203.0.113.8"), await Challenge(http, "203.0.113.9")]);
    }

    [Fact]
    public async Task A_trusted_proxy_that_is_not_an_address_is_one_line_and_a_failure()
    {
        using var temp = new TempDirectory();

        var result = await Cli.RunAsync("serve", "--data", temp.Sub("server"), "--urls", "http://127.0.0.1:0", "--Parley:TrustedProxies", "proxy.local");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("parley: 'proxy.local' in Parley:TrustedProxies is not an IP address; list the proxies' addresses, like 127.0.0.1,::1.",
            result.Error.Trim());
    }

    private static async Task<HttpStatusCode> Challenge(HttpClient http, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/challenges");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
