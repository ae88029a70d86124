// A server the load generator starts as a child process (a Parley node or the echo relay), on a free loopback port.
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Parley.Load;

/// <summary>A child process that prints "Now listening on: http://127.0.0.1:PORT" once it serves; killed on dispose.</summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, Uri address, string name)
    {
        _process = process;
        Address = address;
        Name = name;
    }

    public Uri Address { get; }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Starts <c>dotnet {dll} {args}</c> in <paramref name="workingDirectory"/> and waits until it listens. The
    /// working directory becomes the host's content root, which ASP.NET Core watches for configuration changes: it must
    /// be a quiet folder of the server's own (a watcher on a busy /tmp costs CPU on every file anyone writes there).</summary>
    public static async Task<ChildProcess> StartAsync(string name, string dll, IEnumerable<string> arguments, string workingDirectory,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add(dll);
        foreach (string arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool echoNext = false;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"{name} exited before it listened."));
                return;
            }
            Match match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
            // Warnings and errors (and the line after, which holds the message) are worth seeing; the rest is noise.
            bool important = e.Data.StartsWith("warn:", StringComparison.Ordinal) || e.Data.StartsWith("fail:", StringComparison.Ordinal)
                             || e.Data.StartsWith("crit:", StringComparison.Ordinal);
            if (important || echoNext)
            {
                Console.Error.WriteLine($"{name}: {e.Data}");
            }
            echoNext = important;
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"{name}: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Uri address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return new ChildProcess(process, address, name);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>The repository root (the folder holding Parley.slnx) above the tool's binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("Parley.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
