using System.CommandLine;
using System.Text.RegularExpressions;
using Parley.Cli.Commands;

namespace Parley.Cli.Tests;

/// <summary>The shape of the <c>parley</c> command tree: every command has an example that parses, <c>--json</c> unless
/// it is interactive, and only the shared options that mean something to it; <c>serve --help</c> and docs/cli.md keep up.</summary>
public sealed partial class CommandTreeTests
{
    private static readonly RootCommand Root = ParleyCommand.Build();

    public static TheoryData<string> Commands => [.. CommandCatalog.Leaves(ParleyCommand.Build()).Select(CommandCatalog.PathOf)];

    private static Command Find(string path) => CommandCatalog.Leaves(Root).Single(c => CommandCatalog.PathOf(c) == path);

    private static bool Has(Command command, string option) => command.Options.Any(o => o.Name == option);

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_an_example_that_parses_and_its_help_page_shows_it(string path)
    {
        var entry = CommandCatalog.Entries.SingleOrDefault(e => e.Path == path);
        Assert.True(entry is not null, $"`parley {path}` has no row in CommandCatalog.Entries.");
        Assert.StartsWith($"parley {path} ", entry.Example + " ");
        var parsed = Root.Parse(Words(entry.Example).Skip(1).ToArray());
        Assert.True(parsed.Errors.Count == 0, $"{entry.Example}: {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
        Assert.Same(Find(path), parsed.CommandResult.Command);

        using var output = new StringWriter();
        Root.Parse([.. path.Split(' '), "--help"]).Invoke(new InvocationConfiguration { Output = output });
        Assert.Contains("Example:" + Environment.NewLine + "  " + entry.Example, output.ToString());
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_but_the_interactive_ones_takes_json(string path)
    {
        var entry = CommandCatalog.Entries.Single(e => e.Path == path);
        Assert.Equal(!entry.Interactive, Has(Find(path), "--json"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_takes_only_the_shared_options_that_mean_something_to_it(string path)
    {
        var command = Find(path);
        var scope = CommandCatalog.Entries.Single(e => e.Path == path).Scope;
        Assert.Equal(scope.HasFlag(Scope.Home), Has(command, "--home"));
        Assert.Equal(scope.HasFlag(Scope.Server), Has(command, "--server"));
        Assert.Equal(scope.HasFlag(Scope.OperatorKey), Has(command, "--key"));
        Assert.True(Has(command, "--verbose") || command.Parents.OfType<Command>().Any(), path);
    }

    [Fact]
    public void Commands_without_a_device_or_a_server_take_neither_option()
    {
        foreach (string path in new[] { "suites", "serve", "admin keygen" })
        {
            Assert.False(Has(Find(path), "--home") || Has(Find(path), "--server") || Has(Find(path), "--key"), path);
        }
        foreach (string path in new[] { "search", "group list", "account show", "device approve" })
        {
            Assert.False(Has(Find(path), "--server"), path);
        }
        Assert.All(CommandCatalog.Leaves(Root).Where(c => CommandCatalog.PathOf(c).StartsWith("admin ", StringComparison.Ordinal)),
            c => Assert.False(Has(c, "--home")));
        var paths = CommandCatalog.Leaves(Root).Select(CommandCatalog.PathOf).ToHashSet();
        Assert.All(CommandCatalog.Entries, e => Assert.Contains(e.Path, paths));
    }

    [Fact]
    public void Shared_options_before_the_command_go_to_it_when_it_takes_them_and_are_dropped_when_not()
    {
        Assert.Equal(["suites"], CliArguments.Normalize(Root, ["--home", "h", "--server", "s", "suites"]));
        Assert.Equal(["search", "--home", "h", "lunch"], CliArguments.Normalize(Root, ["--home", "h", "--server", "s", "search", "lunch"]));
        Assert.Equal(["--verbose", "group", "create", "--home", "h", "--server", "s", "team"],
            CliArguments.Normalize(Root, ["--verbose", "--home=h", "--server", "s", "group", "create", "team"]));
        Assert.Equal(["admin", "audit", "--server", "s", "--key", "k"], CliArguments.Normalize(Root, ["--home", "h", "--server", "s", "--key", "k", "admin", "audit"]));
        // After the command, an option it does not take is an error.
        Assert.NotEmpty(Root.Parse(["suites", "--home", "h"]).Errors);
    }

    [Fact]
    public void Serve_help_lists_every_server_setting_the_readme_and_the_docs_use()
    {
        using var output = new StringWriter();
        Root.Parse(["serve", "--help"]).Invoke(new InvocationConfiguration { Output = output });
        string help = output.ToString();
        var used = new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md").Select(Path.GetFileName).Select(f => "docs/" + f))
            .SelectMany(f => SettingPattern().Matches(File.ReadAllText(Path.Combine(RepositoryRoot, f!))).Select(m => m.Value))
            .Distinct().ToList();
        Assert.Contains("--Parley:OperatorKey", used);
        Assert.All(used, setting => Assert.Contains(setting + " ", help));
        Assert.All(typeof(Parley.Server.ParleyServerOptions).GetProperties().Where(p => p.CanWrite && p.Name != "DataDirectory"),
            p => Assert.Contains($"--Parley:{p.Name} ", help));
    }

    [Fact]
    public void Docs_cli_md_shows_every_command_with_its_example()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "cli.md"));
        Assert.All(CommandCatalog.Entries, e => Assert.Contains(e.Example, doc));
    }

    private static string RepositoryRoot => Repository.Root;

    // An example's words, as a shell splits them (double quotes group words).
    private static IEnumerable<string> Words(string example)
        => WordPattern().Matches(example).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Value);

    [GeneratedRegex("\"([^\"]*)\"|\\S+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"--Parley:[A-Za-z]+")]
    private static partial Regex SettingPattern();
}
