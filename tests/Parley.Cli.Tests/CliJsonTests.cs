using System.Text.Json;

namespace Parley.Cli.Tests;

/// <summary>With <c>--json</c>, every command answers in JSON on standard output, errors included
/// (<c>{"error", "code", "exitCode"}</c> with the same exit code); lists of names take spaces or commas.</summary>
public sealed class CliJsonTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Server => fixture.Server.Address.ToString();

    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", Home(home), "--server", Server, .. args], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static JsonElement Error(CliResult result, int exitCode, string code)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.True(result.Error.Length == 0, result.ToString());
        var error = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(exitCode, error.GetProperty("exitCode").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
        return error;
    }

    [Fact]
    public async Task Errors_come_as_json_on_standard_output_with_the_same_exit_code()
    {
        string alice = Unique("alice");
        Assert.Equal(0, (await Run(alice, "account", "create", alice)).ExitCode);

        var unknownMessage = Error(await Run(alice, "react", "no-such-chat", "nosuchmessage", "👍", "--json"), 1, "refused");
        Assert.Contains("No conversation is named", unknownMessage.GetProperty("error").GetString());
        Error(await Run(alice, "history", "no-such-group", "--json"), 1, "refused");
        Error(await Cli.RunAsync(["--home", Home("never-created"), "group", "list", "--json"], null), 1, "refused");
        Error(await Run(alice, "disappear", alice, "soon", "--json"), 1, "invalid_input");
        Error(await Cli.RunAsync(["--home", Home(alice), "--server", "http://127.0.0.1:9", "group", "create", "g", "--members", "xavier", "--json"], null),
            3, "server_unavailable");
        var usage = Error(await Run(alice, "react", "--json"), 1, "usage");
        Assert.Contains("`parley react --help`", usage.GetProperty("error").GetString());
        // `group list` reads only this device: --server means nothing to it.
        var meaningless = Error(await Cli.RunAsync(["group", "list", "--home", Home(alice), "--server", Server, "--json"], null), 1, "usage");
        Assert.Contains("--server", meaningless.GetProperty("error").GetString());

        // Without --json the same failure is one sentence on standard error, with the CLI's next step (the client
        // library's refusal carries a code and names no command).
        Cli.AssertOneSentence(await Run(alice, "react", "no-such-chat", "nosuchmessage", "👍"),
            "No conversation is named no-such-chat; see `parley group list`.");
    }

    [Fact]
    public async Task Member_lists_take_spaces_or_commas_everywhere()
    {
        string alice = Unique("alice"), bob = Unique("bob"), carol = Unique("carol"), dave = Unique("dave"), erin = Unique("erin");
        foreach (string name in new[] { alice, bob, carol, dave, erin })
        {
            Assert.Equal(0, (await Run(name, "account", "create", name)).ExitCode);
        }
        var created = Cli.Json(await Run(alice, "group", "create", "crew", "--members", bob, carol, "--json"));
        Assert.Equal("created", created.GetProperty("status").GetString());
        var added = Cli.Json(await Run(alice, "group", "add", "crew", $"{dave},{erin}", "--json"));
        Assert.Equal($"{dave},{erin}", added.GetProperty("detail").GetString());
        var members = Cli.Json(await Run(alice, "group", "list", "--json")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == "crew")
            .GetProperty("members").EnumerateArray().Select(m => m.GetString()).Order().ToList();
        Assert.Equal(new[] { alice, bob, carol, dave, erin }.Order(), members);
        Assert.Equal("removed", Cli.Json(await Run(alice, "group", "remove", "crew", carol, $"{dave},", "--json")).GetProperty("status").GetString());
        Assert.Equal("renamed", Cli.Json(await Run(alice, "group", "rename", "crew", "the crew", "--json")).GetProperty("status").GetString());
        Assert.Equal("timer", Cli.Json(await Run(alice, "disappear", "the crew", "1h", "--json")).GetProperty("status").GetString());
    }
}
