using System.CommandLine;
using Parley.Cli;

RoutedWriter.Install();
CliSession.Arguments = args;
var root = ParleyCommand.Build();
var parse = root.Parse(CliArguments.Normalize(root, args));
if (parse.Errors.Count > 0 && CliOutput.JsonRequested(parse))
{
    // With --json even a mistyped command line answers in JSON.
    string help = $"See `parley {CommandCatalog.PathOf(parse.CommandResult.Command)} --help`.";
    CliErrors.Write(parse, new Failure(string.Join(" ", parse.Errors.Select(e => e.Message).Distinct().Append(help)), "usage", CliErrors.Failed));
    return CliErrors.Failed;
}
var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
return await parse.InvokeAsync(configuration);
