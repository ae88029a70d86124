using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Parley.Cli.Tests;

/// <summary>What one run of the real <c>parley</c> binary did.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs the real <c>parley</c> binary (<c>dotnet parley.dll ...</c>) from the test output folder.</summary>
public static class Cli
{
    public const string Passphrase = "correct horse battery staple";

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = Redirected("dotnet", [Path.Combine(AppContext.BaseDirectory, "parley.dll"), .. args]);
        info.Environment["PARLEY_PASSPHRASE"] = Passphrase;
        // Keep Argon2id cheap in tests (the store keeps the parameters it was created with).
        info.Environment["PARLEY_INSECURE_FAST_KDF"] = "1";
        info.Environment["NO_COLOR"] = "1";
        return info;
    }

    /// <summary>A process of <paramref name="fileName"/> with <paramref name="args"/>, its input and output redirected.</summary>
    public static ProcessStartInfo Redirected(string fileName, IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return info;
    }

    /// <summary>Asserts that the run failed with one line on standard error, <c>parley: …</c>, containing <paramref name="expected"/>.</summary>
    public static void AssertOneSentence(CliResult result, string expected)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.ToString());
        Assert.StartsWith("parley: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    public static async Task<CliResult> RunAsync(params string[] args) => await RunAsync(args, null);

    public static async Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin, TimeSpan? timeout = null,
        Dictionary<string, string>? environment = null)
    {
        var info = StartInfo(args);
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }
        return await RunProcessAsync(info, stdin, timeout ?? TimeSpan.FromSeconds(60), "parley " + string.Join(' ', args));
    }

    /// <summary>Runs the process <paramref name="info"/> describes (its output redirected) with <paramref name="stdin"/> as its
    /// input, and kills it after <paramref name="timeout"/>.</summary>
    public static async Task<CliResult> RunProcessAsync(ProcessStartInfo info, string? stdin, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(info);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish: {await output}{await error}");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }

    /// <summary>The JSON a successful run printed.</summary>
    public static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output).RootElement;
    }
}

/// <summary>A <c>parley</c> process left running (<c>listen</c>, <c>chat</c>): its output lines as they come, and a
/// Ctrl+C to stop it.</summary>
public sealed class RunningCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Threading.Channels.Channel<string> _output = System.Threading.Channels.Channel.CreateUnbounded<string>();
    private readonly System.Threading.Channels.Channel<string> _error = System.Threading.Channels.Channel.CreateUnbounded<string>();

    private RunningCli(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Forward(_output, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(_error, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>parley ARGS</c>.</summary>
    public static RunningCli Start(IEnumerable<string> args)
    {
        var process = Process.Start(Cli.StartInfo(args)) ?? throw new InvalidOperationException("dotnet did not start.");
        return new RunningCli(process);
    }

    private static void Forward(System.Threading.Channels.Channel<string> lines, string? line)
    {
        if (line is null)
        {
            lines.Writer.TryComplete();
        }
        else
        {
            lines.Writer.TryWrite(line);
        }
    }

    /// <summary>Waits for a line of standard output (or, with <paramref name="error"/>, standard error) that contains
    /// <paramref name="text"/>, and returns it.</summary>
    public async Task<string> WaitForAsync(string text, bool error = false, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var lines = error ? _error : _output;
        try
        {
            await foreach (string line in lines.Reader.ReadAllAsync(cts.Token))
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"parley printed no line with '{text}'.");
    }

    /// <summary>Sends Ctrl+C (SIGINT) and waits for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
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
