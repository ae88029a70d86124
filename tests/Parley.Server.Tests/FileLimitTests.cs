using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Parley.Testing;
using Xunit.Abstractions;

namespace Parley.Server.Tests;

/// <summary>The real server process under a low open-file limit (<c>prlimit</c>, util-linux): more connections than it has
/// files for must be refused, not abort it (docs/benchmarks.md, idle connections).</summary>
[Collection(AloneCollection.Name)]
public sealed partial class FileLimitTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int FileLimit = 400;

    private readonly string _data = Path.Combine(Path.GetTempPath(), "parley-server-tests", "files-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _output = [];
    private Process? _process;
    private Uri? _address;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        var info = new ProcessStartInfo("prlimit")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            $"--nofile={FileLimit}:{FileLimit}", "dotnet", Path.Combine(AppContext.BaseDirectory, "Parley.Server.dll"),
            "--data", _data, "--urls", "http://127.0.0.1:0",
            "--Parley:AnonymousRequestsPerMinute", "100000", "--Parley:RequestsPerMinutePerAddress", "100000",
        ];
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        _process = Process.Start(info) ?? throw new InvalidOperationException("prlimit did not start.");
        _address = await ServerListening.WaitAsync(_process, _output, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
        ServerFactory.DeleteQuietly(_data);
    }

    [Fact]
    public async Task Under_a_low_file_limit_the_server_refuses_what_it_cannot_hold_and_keeps_serving()
    {
        Match budget = BudgetLine().Match(Output);
        Assert.True(budget.Success, Output);
        int webSockets = int.Parse(budget.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(FileLimit.ToString(CultureInfo.InvariantCulture), budget.Groups[2].Value);

        // More raw TCP connections than the process may have files: the ones over the budget are closed at once.
        var raw = new List<Socket>();
        try
        {
            for (int i = 0; i < FileLimit + 100; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                raw.Add(socket);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, _address!.Port, timeout.Token);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    // A full backlog may drop a few; the point is the pressure, not each connection.
                }
            }
            AssertAlive();
            int files = OpenFiles();
            output.WriteLine($"{raw.Count(s => s.Connected)} raw connections made; the server has {files} files open");
            Assert.InRange(files, 0, FileLimit - 1);
        }
        finally
        {
            foreach (Socket socket in raw)
            {
                socket.Dispose();
            }
        }
        using HttpClient http = new() { BaseAddress = _address };
        await HealthyAsync(http);

        // Device WebSockets up to the budget, then 503 server_full with Retry-After, and HTTP still answers beside them.
        var open = new List<ClientWebSocket>();
        try
        {
            for (int i = 0; i < webSockets + 3; i++)
            {
                TestUser user = await TestUser.RegisterAsync(new Address(_address!));
                var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Authorization", "Bearer " + user.Device.Credential);
                socket.Options.CollectHttpResponseDetails = true;
                Uri uri = new UriBuilder(_address!) { Scheme = "ws", Path = "/v1/ws" }.Uri;
                if (i < webSockets)
                {
                    await socket.ConnectAsync(uri, CancellationToken.None);
                    open.Add(socket);
                    continue;
                }
                await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, socket.HttpStatusCode);
                Assert.True(socket.HttpResponseHeaders!.TryGetValue("Retry-After", out var retryAfter), "no Retry-After");
                Assert.True(int.Parse(retryAfter.Single(), CultureInfo.InvariantCulture) > 0);
                socket.Dispose();
            }
            using HttpResponseMessage health = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.All(open, socket => Assert.Equal(WebSocketState.Open, socket.State));
            AssertAlive();
            int files = OpenFiles();
            output.WriteLine($"{open.Count} WebSockets open (budget {webSockets}), 3 refused; the server has {files} files open");
            Assert.InRange(files, 0, FileLimit - 1);
        }
        finally
        {
            foreach (ClientWebSocket socket in open)
            {
                socket.Dispose();
            }
        }
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join("\n", _output);
            }
        }
    }

    private void AssertAlive() => Assert.False(_process!.HasExited, "The server exited:\n" + Output);

    private int OpenFiles() => Directory.GetFileSystemEntries($"/proc/{_process!.Id}/fd").Length;

    // The server closes each raw connection when it sees the client's FIN; until it has, it may refuse more.
    private static async Task HealthyAsync(HttpClient http)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync("/healthz");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return;
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    [GeneratedRegex(@"Connection budget: (\d+) device WebSockets, \d+ TCP connections in all \(derived; open-file limit (\d+),")]
    private static partial Regex BudgetLine();

    private sealed class Address(Uri address) : ITestServer
    {
        public HttpClient CreateClient() => new() { BaseAddress = address };
    }
}
