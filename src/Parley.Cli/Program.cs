using System.CommandLine;
using Parley.Cli;

RoutedWriter.Install();
CliSession.Arguments = args;
var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
return await ParleyCommand.Build().Parse(args).InvokeAsync(configuration);
