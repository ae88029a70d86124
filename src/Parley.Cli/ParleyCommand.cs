using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Parley.Cli.Commands;
using Parley.Client;
using Parley.Mls.Crypto;

namespace Parley.Cli;

/// <summary>The `parley` command tree.</summary>
internal static class ParleyCommand
{
    /// <summary>Parses and runs one command line (of this process, or forwarded through the local endpoint);
    /// <paramref name="check"/> may refuse the parsed command before it runs.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, InvocationConfiguration configuration, CancellationToken cancellationToken,
        Func<ParseResult, int?>? check = null)
    {
        var root = Build();
        var parse = root.Parse(CliArguments.Normalize(root, [.. args]));
        if (parse.Errors.Count > 0 && CliOutput.JsonRequested(parse))
        {
            // With --json even a mistyped command line answers in JSON.
            string help = $"See `parley {CommandCatalog.PathOf(parse.CommandResult.Command)} --help`.";
            CliErrors.Write(parse, new Failure(string.Join(" ", parse.Errors.Select(e => e.Message).Distinct().Append(help)), "usage", CliErrors.Failed));
            return CliErrors.Failed;
        }
        if (check?.Invoke(parse) is { } refused)
        {
            return refused;
        }
        return await parse.InvokeAsync(configuration, cancellationToken);
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("Parley: a self-hostable, end-to-end encrypted messenger built on MLS (RFC 9420).");
        root.Options.Add(GlobalOptions.Verbose);
        root.Subcommands.Add(Suites());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(AccountCommands.Build());
        root.Subcommands.Add(DeviceCommands.Build());
        root.Subcommands.Add(BackupCommands.Build());
        root.Subcommands.Add(MessageCommands.Send());
        root.Subcommands.Add(MessageCommands.SendFile());
        root.Subcommands.Add(MessageCommands.Download());
        root.Subcommands.Add(MessageCommands.Receive());
        root.Subcommands.Add(MessageCommands.Listen());
        root.Subcommands.Add(ChatCommand.Build());
        root.Subcommands.Add(WebCommand.Build());
        root.Subcommands.Add(GroupCommands.Build());
        root.Subcommands.Add(ChannelCommands.Build());
        MessageEditCommands.Build().ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(MessageCommands.History());
        root.Subcommands.Add(MessageCommands.Search());
        root.Subcommands.Add(BackupCommands.Export());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(MessageCommands.Disappear());
        SafetyCommands.Build().ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(AdminCommands.Build());
        CommandCatalog.ApplyScopes(root);
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is { Action: HelpAction help } option)
        {
            option.Action = new HelpWithExamples(help);
        }
        return root;
    }

    /// <summary>The standard help page, then the command's example (a group's page: each of its commands'), and for
    /// <c>serve</c> its settings.</summary>
    private sealed class HelpWithExamples(HelpAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int code = standard.Invoke(parseResult);
            Examples(parseResult.CommandResult.Command, parseResult.InvocationConfiguration.Output);
            return code;
        }
    }

    private static void Examples(Command command, TextWriter output)
    {
        if (command.Name == "serve" && command.Parents.FirstOrDefault() is RootCommand)
        {
            output.WriteLine("Settings (--Parley:Name VALUE, or --Parley:Name=VALUE):");
            foreach (string line in ServeCommand.SettingsHelp())
            {
                output.WriteLine("  " + line);
            }
            output.WriteLine();
        }
        if (command is RootCommand)
        {
            output.WriteLine("Shared options go after the command (`parley send bob hi --home DIR`); written before it, they act as");
            output.WriteLine("PARLEY_HOME, PARLEY_SERVER and PARLEY_OPERATOR_KEY_FILE do. Every command but serve, chat and device link");
            output.WriteLine("takes --json: results and errors ({\"error\", \"code\", \"exitCode\"}) as JSON on standard output.");
            output.WriteLine();
            return;
        }
        var examples = CommandCatalog.Leaves(command).Select(CommandCatalog.Find).OfType<CommandEntry>().ToList();
        if (examples.Count > 0)
        {
            output.WriteLine(examples.Count == 1 ? "Example:" : "Examples:");
            foreach (var entry in examples)
            {
                output.WriteLine("  " + entry.Example);
            }
            output.WriteLine();
        }
    }

    /// <summary>`parley suites [--json]`: the MLS cipher suites this build implements.</summary>
    private static Command Suites()
    {
        var json = CliOutput.JsonOption();
        var command = new Command("suites", "List the MLS cipher suites this build of Parley implements.") { json };
        command.SetAction(parse =>
        {
            var suites = CipherSuite.Supported
                .Select(id => new SuiteInfo(id, CipherSuite.NameOf(id) ?? "unknown", CipherSuite.Get(id).IsPostQuantum, UseOf(id))).ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(suites, CliJsonContext.Default.ListSuiteInfo);
            }
            else
            {
                foreach (var s in suites)
                {
                    Console.WriteLine($"{s.Id,3}  {s.Name}{(s.PostQuantum ? "  (post-quantum)" : "")}{(s.Use is null ? "" : $"  [{s.Use}]")}");
                }
            }
            return 0;
        });
        return command;
    }

    // What Parley's devices do with a suite (docs/protocol.md, "Cipher suites").
    private static string? UseOf(ushort id) => id switch
    {
        ParleyClient.PostQuantumCipherSuite => "new conversations when every member device has key packages in it",
        ParleyClient.DefaultCipherSuite => "device registration; new conversations otherwise; private channels",
        _ => null,
    };
}

/// <summary>A cipher suite as <c>suites</c> lists it.</summary>
/// <param name="Id">The code point (RFC 9420 §17.1, or a provisional post-quantum one).</param>
/// <param name="Name">The suite's name.</param>
/// <param name="PostQuantum">Whether its KEM (ML-KEM-768 or X-Wing) resists a quantum adversary.</param>
/// <param name="Use">What Parley's devices use the suite for, or null when they do not.</param>
internal sealed record SuiteInfo(ushort Id, string Name, bool PostQuantum, string? Use);
