using System.Reflection;
using Parley.Server;

namespace Parley.Cli.Tests;

/// <summary>docs/self-hosting.md keeps up with the server: every setting is documented, and the README names every tool
/// the test script installs.</summary>
public sealed class SelfHostingDocsTests
{
    [Fact]
    public void Every_server_setting_is_documented_in_the_operators_guide()
    {
        string guide = File.ReadAllText(Path.Combine(Repository.Root, "docs", "self-hosting.md"));
        var missing = typeof(ParleyServerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => $"`{ParleyServerOptions.Section}:{p.Name}`")
            .Where(setting => !guide.Contains("| " + setting + " |", StringComparison.Ordinal))
            .ToList();
        Assert.True(missing.Count == 0, "Not in a settings table of docs/self-hosting.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_readme_lists_everything_the_test_script_installs()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        string prerequisites = readme[readme.IndexOf("## Prerequisites", StringComparison.Ordinal)..];
        prerequisites = prerequisites[..prerequisites.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        string[] installed = ["postgresql", "redis-server", "nodejs", "npm", "afl++", "sqlite3", "ts-mls", "sharpfuzz", "chromium"];
        Assert.All(installed, package => Assert.Contains(package, prerequisites, StringComparison.Ordinal));
    }
}
