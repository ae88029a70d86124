using System.CommandLine;
using Parley.Client;

namespace Parley.Cli.Commands;

/// <summary><c>parley account create NAME</c> and <c>parley account show</c>.</summary>
internal static class AccountCommands
{
    public static Command Build()
    {
        var account = new Command("account", "Create or show this device's account.");
        account.Subcommands.Add(Create());
        account.Subcommands.Add(Show());
        return account;
    }

    private static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The user name: 3 to 32 of a-z 0-9 _ . -" };
        var json = CliOutput.JsonOption();
        var command = new Command("create", "Register a new account on the server, with this device as its first device.") { name, json };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            var server = GlobalOptions.ServerOf(parse) ?? throw new ParleyClientException("Give the server with --server URL (or PARLEY_SERVER).");
            string home = GlobalOptions.HomeOf(parse);
            string passphrase = CliSession.Passphrase(confirm: true);
            using var client = await ParleyClient.CreateAccountAsync(home, passphrase, server, parse.GetValue(name)!, CliSession.Options, cancellationToken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new DoneView("created", null, client.DeviceId, client.Username), CliJsonContext.Default.DoneView);
            }
            else
            {
                Console.WriteLine($"Created account {client.Username} on {client.Server} (this device: {client.DeviceId}, home: {home}).");
            }
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var json = CliOutput.JsonOption();
        var command = new Command("show", "Show this device's account, device id and server.") { json };
        command.SetAction(CliSession.With(command, (parse, client, _) =>
        {
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new DoneView("ok", null, client.DeviceId, client.Username), CliJsonContext.Default.DoneView);
            }
            else
            {
                Console.WriteLine($"{client.Username} on {client.Server}, device {client.DeviceId}");
            }
            return Task.FromResult(0);
        }));
        return command;
    }
}
