namespace Parley.Cli.Tests;

/// <summary>The repository these tests were built from, and its scripts run as a person runs them.</summary>
public static class Repository
{
    /// <summary>The folder that holds Parley.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Runs <c>bash scripts/NAME args</c> from the repository root, with <paramref name="environment"/> added.</summary>
    public static async Task<CliResult> RunScriptAsync(string script, IEnumerable<string> args, Dictionary<string, string>? environment = null,
        TimeSpan? timeout = null)
    {
        var info = Cli.Redirected("bash", [Path.Combine(Root, script), .. args], Root);
        info.Environment["PARLEY_INSECURE_FAST_KDF"] = "1";
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }
        return await Cli.RunProcessAsync(info, null, timeout ?? TimeSpan.FromMinutes(2), script);
    }

    /// <summary>Ids of the running processes whose command line mentions <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return found;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parley.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Parley.slnx above {AppContext.BaseDirectory}.");
    }
}
