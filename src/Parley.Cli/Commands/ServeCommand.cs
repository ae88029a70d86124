using System.CommandLine;
using Parley.Server;

namespace Parley.Cli.Commands;

/// <summary><c>parley serve --data DIR --urls URL</c>: hosts the Parley server in this process.</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var data = new Option<string>("--data") { Description = "Folder for the server's database (created if missing).", Required = true };
        var urls = new Option<string>("--urls")
        {
            Description = "Address to listen on, e.g. http://127.0.0.1:8080 (port 0 picks a free port).",
            DefaultValueFactory = _ => "http://127.0.0.1:8080",
        };
        var logFormat = new Option<string>("--log-format") { Description = "Log format: text or json.", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("serve", "Run a Parley server in this process until Ctrl+C.") { data, urls, logFormat };
        // Any --Parley:Setting value pair goes to the server as is.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The server checks and creates the folder (readable by its user only) with its other start-up checks.
            string dataDir = Path.GetFullPath(parse.GetValue(data)!);
            var args = new List<string> { "--data", dataDir, "--urls", parse.GetValue(urls)!, "--log-format", parse.GetValue(logFormat)! };
            args.AddRange(parse.UnmatchedTokens);
            return await CliErrors.RunAsync(parse, async () => await ParleyServer.RunAsync([.. args], cancellationToken));
        });
        return command;
    }
}
