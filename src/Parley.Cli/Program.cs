using System.CommandLine;
using Parley.Cli;

RoutedWriter.Install();
CliSession.Arguments = args;
return await ParleyCommand.RunAsync(args, new InvocationConfiguration { EnableDefaultExceptionHandler = false }, CancellationToken.None);
