using System.CommandLine;
using Parley.Cli;

var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
return await ParleyCommand.Build().Parse(args).InvokeAsync(configuration);
