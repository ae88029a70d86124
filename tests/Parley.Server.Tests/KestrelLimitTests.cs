using System.Net.Sockets;
using System.Text;
using Parley.Server.Http;

namespace Parley.Server.Tests;

/// <summary>The requests Kestrel itself would refuse with an empty body (request line or headers too large, a body over
/// the limit or badly chunked) get a problem body with a stable code, over real TCP on loopback.</summary>
public sealed class KestrelLimitTests : IAsyncLifetime
{
    // A small body limit, so the oversized chunked body below is written whole before the server answers.
    private readonly ServerFactory _server = new(settings: new Dictionary<string, string?> { ["Parley:MaxRequestBodyBytes"] = "4096" });
    private Uri _address = null!;

    public Task InitializeAsync()
    {
        _address = _server.StartKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_request_line_over_8_KiB_is_a_414_problem()
    {
        using var client = new HttpClient { BaseAddress = _address };

        using var response = await client.GetAsync("/v1/accounts/" + new string('a', RequestHeadLimits.MaxRequestLineBytes));

        Assert.Equal((414, "request_target_too_long"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task Headers_over_32_KiB_or_over_100_of_them_are_a_431_problem()
    {
        using var client = new HttpClient { BaseAddress = _address };
        using var large = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        large.Headers.Add("X-Large", new string('a', RequestHeadLimits.MaxHeaderBytes));
        using var many = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        for (int i = 0; i <= RequestHeadLimits.MaxHeaderCount; i++)
        {
            many.Headers.Add($"X-Header-{i}", "1");
        }

        using var tooLarge = await client.SendAsync(large);
        using var tooMany = await client.SendAsync(many);

        Assert.Equal((431, "headers_too_large"), Short(await TestHttp.ProblemAsync(tooLarge)));
        Assert.Equal((431, "headers_too_large"), Short(await TestHttp.ProblemAsync(tooMany)));
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413_problem_and_a_badly_chunked_one_a_400_problem()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        string credential = alice.Device.Credential;

        // No Content-Length, so only Kestrel's count while the body is read can tell it is too large.
        string tooLarge = await RawAsync(
            $"POST /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {credential}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4000\r\n" + new string(' ', 0x4000) + "\r\n0\r\n\r\n");
        string badChunk = await RawAsync(
            $"POST /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {credential}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "zz\r\n{}\r\n0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 413", tooLarge, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", tooLarge, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"request_too_large\"", tooLarge, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", badChunk, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", badChunk, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"malformed_request\"", badChunk, StringComparison.Ordinal);
    }

    // Writes the bytes as they are (HttpClient would fix the framing) and reads the answer until the server closes or stops.
    private async Task<string> RawAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_address.Host, _address.Port);
        NetworkStream stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (IOException)
        {
            // The server answered and closed before reading everything; the answer is still there to read.
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = new StringBuilder();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && answer.ToString().EndsWith('}'))
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // Closed (or reset) after the answer.
        }
        return answer.ToString();
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
