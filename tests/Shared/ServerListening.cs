using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Parley.Testing;

/// <summary>Collects a started server process's output and finds the loopback address it reports
/// ("Now listening on: http://127.0.0.1:PORT", or https). Linked into every test project that starts a real server.</summary>
internal static partial class ServerListening
{
    /// <summary>Starts reading <paramref name="process"/>'s output into <paramref name="lines"/> (lock it to read)
    /// and returns the address it listens on, or throws if it exits or stays silent past <paramref name="timeout"/>.</summary>
    public static Task<Uri> WaitAsync(Process process, List<string> lines, TimeSpan timeout)
    {
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                lock (lines)
                {
                    listening.TrySetException(new InvalidOperationException("The server exited: " + string.Join("\n", lines)));
                }
                return;
            }
            lock (lines)
            {
                lines.Add(e.Data);
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
                lock (lines)
                {
                    lines.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return listening.Task.WaitAsync(timeout);
    }

    [GeneratedRegex(@"Now listening on: (https?://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
