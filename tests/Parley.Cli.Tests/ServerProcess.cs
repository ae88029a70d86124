using System.Diagnostics;
using Parley.Testing;

namespace Parley.Cli.Tests;

/// <summary>The real server as its own process: <c>parley serve --data DIR --urls http://127.0.0.1:0</c>,
/// on a free loopback port it reports on standard output.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output;
    private int _disposed;

    private ServerProcess(Process process, Uri address, string dataDirectory, List<string> output)
    {
        _process = process;
        Address = address;
        DataDirectory = dataDirectory;
        _output = output;
    }

    public Uri Address { get; }

    public string DataDirectory { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static Task<ServerProcess> StartAsync(string dataDirectory, params string[] extra)
        => StartOnAsync(dataDirectory, "http://127.0.0.1:0", extra);

    /// <summary>A new server process on this one's data folder and port, after <see cref="DisposeAsync"/> killed this one.</summary>
    public Task<ServerProcess> StartAgainAsync(params string[] extra) => StartOnAsync(DataDirectory, $"http://127.0.0.1:{Address.Port}", extra);

    /// <summary>A server on <paramref name="urls"/> (its first address is <see cref="Address"/>).</summary>
    public static async Task<ServerProcess> StartOnAsync(string dataDirectory, string urls, string[] extra)
    {
        var info = Cli.StartInfo(["serve", "--data", dataDirectory, "--urls", urls,
            "--Parley:AnonymousRequestsPerMinute", "100000", "--Parley:RequestsPerMinute", "100000", .. extra]);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var lines = new List<string>();
        Uri address = await ServerListening.WaitAsync(process, lines, TimeSpan.FromSeconds(60));
        return new ServerProcess(process, address, dataDirectory, lines);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

}

/// <summary>One server for a whole test class, in a fresh data folder.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _root = new();

    public ServerProcess Server { get; private set; } = null!;

    public string Root => _root.Path;

    public async Task InitializeAsync()
    {
        Server = await ServerProcess.StartAsync(System.IO.Path.Combine(_root.Path, "server"));
        // The first request warms the server up (JIT); keep that out of the first test's time.
        using var http = new HttpClient { BaseAddress = Server.Address };
        using var _ = await http.PostAsync("/v1/challenges", null);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>A folder deleted at the end.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "parley-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
