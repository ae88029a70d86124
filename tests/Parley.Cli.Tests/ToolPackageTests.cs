namespace Parley.Cli.Tests;

/// <summary>Parley ships as a .NET tool: the package <c>dotnet pack src/Parley.Cli</c> makes installs with
/// <c>dotnet tool install</c> and puts a working <c>parley</c> command in the tool folder.</summary>
public sealed class ToolPackageTests
{
    [Fact]
    public async Task The_packed_tool_installs_and_runs_parley()
    {
        using var temp = new TempDirectory();
        string packages = temp.Sub("packages"), tools = temp.Sub("tools"), config = temp.Sub("nuget.config");
        // Only the folder just packed as a source, so the install cannot take a package of the same name from elsewhere.
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        // The test project's build has just built src/Parley.Cli in the same configuration, so packing needs no build.
        var packed = await Dotnet(["pack", Path.Combine(Repository.Root, "src", "Parley.Cli"), "-c", BuildConfiguration, "--no-build",
            "-o", packages, "-nologo"]);
        Assert.True(packed.ExitCode == 0, packed.ToString());
        Assert.Single(Directory.GetFiles(packages, "Parley.Cli.*.nupkg"));

        // A package folder of its own: the shared one may hold a Parley.Cli of the same version packed from older sources.
        var installed = await Dotnet(["tool", "install", "--tool-path", tools, "--configfile", config, "Parley.Cli"], temp.Sub("nuget-packages"));
        Assert.True(installed.ExitCode == 0, installed.ToString());

        var info = Cli.Redirected(Path.Combine(tools, "parley"), ["--help"]);
        var help = await Cli.RunProcessAsync(info, null, TimeSpan.FromSeconds(60), "parley --help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("end-to-end encrypted messenger", help.Output);
        Assert.Contains("serve", help.Output);
    }

    /// <summary>Debug or Release: the configuration this test assembly was built in (bin/CONFIGURATION/net10.0).</summary>
    private static string BuildConfiguration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static Task<CliResult> Dotnet(IEnumerable<string> args, string? packageFolder = null)
    {
        var info = Cli.Redirected("dotnet", args, Repository.Root);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (packageFolder is not null)
        {
            info.Environment["NUGET_PACKAGES"] = packageFolder;
        }
        return Cli.RunProcessAsync(info, null, TimeSpan.FromMinutes(3), "dotnet " + string.Join(' ', args));
    }
}
