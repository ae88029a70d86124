// Runs each target under afl-fuzz for a bounded time through scripts/fuzz.sh (the same path as a long run):
// CI fuzzes every decoder on every change. A missing or broken fuzzer fails these tests; it never skips them.
using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Parley.Fuzz.Tests;

public sealed class FuzzRunTests(ITestOutputHelper output)
{
    private const int Seconds = 10;

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Fuzz_target_finds_no_crash_in_10_seconds(string target)
    {
        var (exitCode, text) = RunScript(target, Seconds);
        output.WriteLine(text);
        Assert.True(exitCode == 0, $"scripts/fuzz.sh {target} {Seconds} exited with {exitCode}:{Environment.NewLine}{text}");
        Assert.Contains($"{target}: ", text, StringComparison.Ordinal);
        Assert.Contains(" 0 crashes or hangs", text, StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) RunScript(string target, int seconds)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "scripts/fuzz.sh", "--no-build", target, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        // The solution build has built tests/Parley.Fuzz in this configuration; the script instruments a copy of it.
        start.Environment["PARLEY_FUZZ_BUILD_OUTPUT"] = Path.Combine(Repository.Root, "tests", "Parley.Fuzz", "bin", configuration, "net10.0");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous: instrumenting the first time and a busy machine both take a while.
        if (!process.WaitForExit(TimeSpan.FromSeconds(seconds + 120)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"scripts/fuzz.sh did not finish in {seconds + 120} s.{Environment.NewLine}{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
