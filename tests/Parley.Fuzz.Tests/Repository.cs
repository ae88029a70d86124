namespace Parley.Fuzz.Tests;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repository
{
    /// <summary>The folder that holds Parley.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    public static string Corpus(string target) => Path.Combine(Root, "tests", "Parley.Fuzz", "Corpus", target);

    public static string Regressions(string target) => Path.Combine(Root, "tests", "Parley.Fuzz", "Regressions", target);

    public static IEnumerable<string> Files(string directory)
        => Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal) : [];

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
