using System.Diagnostics;
using Parley.Cli.Tests;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>A real <c>parley web --no-browser</c> process for one home, and the address it printed.</summary>
public sealed class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private WebProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The printed address with its one-time token.</summary>
    public Uri Address { get; }

    /// <summary>The app's root, without the token.</summary>
    public Uri Root => new($"http://127.0.0.1:{Address.Port}/");

    /// <summary>Starts <c>parley web</c> on <paramref name="home"/>; without <paramref name="passphraseInEnvironment"/>
    /// the page asks for the passphrase.</summary>
    public static async Task<WebProcess> StartAsync(string home, bool passphraseInEnvironment = true, string? server = null)
    {
        var info = Cli.StartInfo(["web", "--home", home, "--no-browser", .. server is null ? Array.Empty<string>() : ["--server", server]]);
        if (!passphraseInEnvironment)
        {
            info.Environment.Remove("PARLEY_PASSPHRASE");
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var printed = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                printed.TrySetException(new InvalidOperationException("parley web exited: " + string.Join("\n", lines)));
                return;
            }
            lock (lines)
            {
                lines.Add(e.Data);
            }
            if (e.Data.StartsWith("Parley web: ", StringComparison.Ordinal))
            {
                printed.TrySetResult(new Uri(e.Data["Parley web: ".Length..]));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (lines)
                {
                    lines.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = await printed.Task.WaitAsync(TimeSpan.FromSeconds(90));
        var web = new WebProcess(process, address);
        web._lines.AddRange(lines);
        return web;
    }

    /// <summary>Sends SIGTERM (as a service manager or Ctrl+C would stop it) and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
