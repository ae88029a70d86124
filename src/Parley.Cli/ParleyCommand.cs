using System.CommandLine;
using System.Text.Json;
using Parley.Cli.Commands;
using Parley.Mls.Crypto;

namespace Parley.Cli;

/// <summary>The `parley` command tree.</summary>
internal static class ParleyCommand
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Parley: a self-hostable, end-to-end encrypted messenger built on MLS (RFC 9420).");
        root.Options.Add(GlobalOptions.Home);
        root.Options.Add(GlobalOptions.Server);
        root.Options.Add(GlobalOptions.Verbose);
        root.Subcommands.Add(Suites());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(AccountCommands.Build());
        root.Subcommands.Add(DeviceCommands.Build());
        root.Subcommands.Add(MessageCommands.Send());
        root.Subcommands.Add(MessageCommands.SendFile());
        root.Subcommands.Add(MessageCommands.Download());
        root.Subcommands.Add(MessageCommands.Receive());
        root.Subcommands.Add(MessageCommands.Listen());
        root.Subcommands.Add(ChatCommand.Build());
        root.Subcommands.Add(GroupCommands.Build());
        root.Subcommands.Add(ChannelCommands.Build());
        MessageEditCommands.Build().ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(MessageCommands.History());
        root.Subcommands.Add(MessageCommands.Search());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(MessageCommands.Disappear());
        SafetyCommands.Build().ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(AdminCommands.Build());
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
