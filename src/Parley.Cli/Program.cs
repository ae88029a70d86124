using System.CommandLine;
using Parley.Cli;

return ParleyCommand.Build().Parse(args).Invoke();
