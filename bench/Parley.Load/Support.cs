// Load generator helpers: the message text format, the server process and the report.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Parley.Load;

/// <summary>The text a load message carries: sender index, sequence number and the sender's Stopwatch timestamp.</summary>
internal static class LoadText
{
    public static string Format(int sender, int seq, long timestamp) => string.Create(CultureInfo.InvariantCulture, $"load {sender} {seq} {timestamp}");

    public static bool TryParse(string text, out int sender, out int seq, out long timestamp)
    {
        sender = seq = 0;
        timestamp = 0;
        string[] parts = text.Split(' ');
        return parts.Length == 4 && parts[0] == "load"
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out sender)
            && int.TryParse(parts[2], CultureInfo.InvariantCulture, out seq)
            && long.TryParse(parts[3], CultureInfo.InvariantCulture, out timestamp);
    }
}

/// <summary>Server working set at the end of the run and its peak.</summary>
internal sealed record MemorySample(double WorkingSetMiB, double PeakWorkingSetMiB);

/// <summary>The real server as a child process (<c>parley serve</c>) on a free loopback port.</summary>
internal sealed partial class ServerHost : IAsyncDisposable
{
    private readonly Process _process;

    private ServerHost(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ServerHost> StartAsync(string dataDirectory)
    {
        string dll = FindServer();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { dll, "serve", "--data", dataDirectory, "--urls", "http://127.0.0.1:0",
            "--Parley:AnonymousRequestsPerMinute", "1000000", "--Parley:RequestsPerMinute", "1000000" })
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("The server exited."));
                return;
            }
            Match match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("server: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Uri address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return new ServerHost(process, address);
    }

    /// <summary>Polls the server's working set every 200 ms until stopped.</summary>
    public MemorySampler SampleMemory() => new(_process);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static string FindServer()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx")))
            {
                string dll = Path.Combine(dir.FullName, "src", "Parley.Cli", "bin", "Release", "net10.0", "parley.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException("Build it first: dotnet build -c Release src/Parley.Cli", dll);
            }
        }
        throw new DirectoryNotFoundException("Parley.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>Samples a process's working set in the background.</summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Process _process;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public MemorySampler(Process process)
    {
        _process = process;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            do
            {
                _process.Refresh();
                _peak = Math.Max(_peak, _process.WorkingSet64);
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        });
    }

    public MemorySample Stop()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled.
        }
        _process.Refresh();
        long peak = Math.Max(_peak, _process.PeakWorkingSet64);
        return new MemorySample(_process.WorkingSet64 / 1048576.0, Math.Max(peak, _process.WorkingSet64) / 1048576.0);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}

/// <summary>What one load run measured.</summary>
internal sealed record LoadReport(
    int Devices, int GroupSize, int MessagesPerDevice, int DurationSeconds, long Accepted, long Failed, long Delivered, long ExpectedDeliveries,
    long Lost, long Duplicated, double AcceptedPerSecond, double DeliveredPerSecond, double SendSeconds,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, long ConnectionsHeld, long MaxConnections,
    double? ServerWorkingSetMiB, double? ServerPeakWorkingSetMiB, string Machine);

/// <summary>JSON output settings.</summary>
internal static class LoadJson
{
    public static JsonSerializerOptions Options { get; } = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
