using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Parley.Server.Postgres.Tests;

/// <summary>One server node as its own process (<c>dotnet Parley.Server.dll</c>) on a free loopback
/// port, sharing PostgreSQL and Redis with the other nodes.</summary>
public sealed partial class ServerNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output;
    private readonly string _data;

    private ServerNode(Process process, Uri address, List<string> output, string data, string name)
    {
        _process = process;
        Address = address;
        _output = output;
        _data = data;
        Name = name;
    }

    /// <summary>http://127.0.0.1:port</summary>
    public Uri Address { get; }

    /// <summary>A name for messages ("node1").</summary>
    public string Name { get; }

    /// <summary>Whether the process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Starts a node on <paramref name="postgres"/> and <paramref name="redis"/>.</summary>
    public static async Task<ServerNode> StartAsync(string name, string postgres, string redis)
    {
        string data = Path.Combine(Path.GetTempPath(), "parley-nodes", Guid.NewGuid().ToString("N"));
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            Path.Combine(AppContext.BaseDirectory, "Parley.Server.dll"), "--data", data, "--urls", "http://127.0.0.1:0",
            "--Parley:Postgres", postgres, "--Parley:Redis", redis,
            "--Parley:RequestsPerMinute", "100000", "--Parley:RequestsPerMinutePerAccount", "100000",
            "--Parley:RequestsPerMinutePerAddress", "100000", "--Parley:AnonymousRequestsPerMinute", "100000",
        ];
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"{name} exited: " + Joined(output)));
                return;
            }
            lock (output)
            {
                output.Add(e.Data);
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
                lock (output)
                {
                    output.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Uri address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new ServerNode(process, address, output, data, name);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output => Joined(_output);

    /// <summary>Kills the process outright (SIGKILL: no shutdown, no draining) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var stop = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await stop!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Joined(List<string> lines)
    {
        lock (lines)
        {
            return string.Join('\n', lines);
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
