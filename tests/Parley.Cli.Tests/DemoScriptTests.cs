namespace Parley.Cli.Tests;

/// <summary><c>scripts/demo.sh</c> as a newcomer runs it: it shows the conversation and leaves nothing running.</summary>
public sealed class DemoScriptTests
{
    [Fact]
    public async Task The_demo_exchanges_messages_and_stops_the_server_it_started()
    {
        using var temp = new TempDirectory();
        // The demo's folders (and so its server's command line) live under this TMPDIR.
        var result = await Repository.RunScriptAsync("scripts/demo.sh", [], new()
        {
            ["PARLEY_DLL"] = Path.Combine(AppContext.BaseDirectory, "parley.dll"),
            ["TMPDIR"] = temp.Path,
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Hi Bob, this is end-to-end encrypted.", result.Output);
        Assert.Contains("Hi Alice! Got it.", result.Output);
        Assert.Matches(@"alice  http://127\.0\.0\.1:\d+/\?token=", result.Output);
        Assert.Matches(@"bob  http://127\.0\.0\.1:\d+/\?token=", result.Output);
        Assert.Empty(Repository.ProcessesMentioning(temp.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }
}
