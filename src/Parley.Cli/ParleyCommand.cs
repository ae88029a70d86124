using System.CommandLine;
using System.Text.Json;
using Parley.Mls.Crypto;

namespace Parley.Cli;

/// <summary>The `parley` command tree.</summary>
internal static class ParleyCommand
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Parley: a self-hostable, end-to-end encrypted messenger built on MLS (RFC 9420).");
        root.Subcommands.Add(Suites());
        return root;
    }

    /// <summary>`parley suites [--json]`: the MLS cipher suites this build implements.</summary>
    private static Command Suites()
    {
        var json = new Option<bool>("--json") { Description = "Print the list as JSON." };
        var command = new Command("suites", "List the MLS cipher suites this build of Parley implements.") { json };
        command.SetAction(parse =>
        {
            var suites = CipherSuite.Supported.Select(id => new SuiteInfo(id, CipherSuite.NameOf(id) ?? "unknown")).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(suites, CliJsonContext.Default.ListSuiteInfo));
            }
            else
            {
                foreach (var s in suites)
                {
                    Console.WriteLine($"{s.Id,3}  {s.Name}");
                }
            }
            return 0;
        });
        return command;
    }
}

internal sealed record SuiteInfo(ushort Id, string Name);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<SuiteInfo>))]
internal sealed partial class CliJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
