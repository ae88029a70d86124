using System.Diagnostics;
using Parley.Testing;

namespace Parley.Server.Tests;

/// <summary>The server as its own process (<c>dotnet Parley.Server.dll --data DIR --urls http://127.0.0.1:0</c>),
/// listening on a free loopback port that it reports on standard output.</summary>
public sealed partial class RealServerProcess : ITestServer, IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output;

    private RealServerProcess(Process process, Uri address, List<string> output)
    {
        _process = process;
        Address = address;
        _output = output;
    }

    /// <summary>What the process wrote to standard output and error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join("\n", _output);
            }
        }
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the server on <paramref name="dataDirectory"/>; <paramref name="settings"/> are more
    /// command-line arguments (e.g. <c>--Parley:RequestsPerMinute 100000</c>).</summary>
    public static async Task<RealServerProcess> StartAsync(string dataDirectory, params string[] settings)
    {
        string serverDll = Path.Combine(AppContext.BaseDirectory, "Parley.Server.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { serverDll, "--data", dataDirectory, "--urls", "http://127.0.0.1:0" }.Concat(settings))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var lines = new List<string>();
        Uri address = await ServerListening.WaitAsync(process, lines, TimeSpan.FromSeconds(30));
        return new RealServerProcess(process, address, lines);
    }

    public HttpClient CreateClient() => new() { BaseAddress = Address };

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Kills the process with SIGKILL (no shutdown, no flushing) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>A line of the process's /proc status (Linux), in KiB: "VmRSS" (resident now) or "VmHWM" (peak resident).</summary>
    public long MemoryKiB(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"No {field} in /proc status.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

}
