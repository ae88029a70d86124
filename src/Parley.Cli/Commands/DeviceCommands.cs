using System.CommandLine;
using Parley.Client;
using Parley.Client.Backup;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley device link|approve|list|revoke</c> (docs/device-linking.md).</summary>
internal static class DeviceCommands
{
    public static Command Build()
    {
        var device = new Command("device", "Link, list and revoke this account's devices.");
        device.Subcommands.Add(Link());
        device.Subcommands.Add(Approve());
        device.Subcommands.Add(List());
        device.Subcommands.Add(Revoke());
        return device;
    }

    private static Command Link()
    {
        var approval = new Option<string?>("--approval") { Description = "The approval code (otherwise it is read from the terminal or standard input)." };
        var command = new Command("link", "Make this new device part of an existing account: shows a link code to approve on the other device.") { approval };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            string home = GlobalOptions.HomeOf(parse);
            if (ParleyClient.Exists(home))
            {
                throw new ParleyClientException($"{home} already holds a Parley account; link into another --home.");
            }
            using var request = ParleyClient.BeginLink();
            Console.WriteLine(request.Code);
            Console.Error.WriteLine("On a device of your account, run: parley device approve " + request.Code);
            string? code = parse.GetValue(approval);
            if (code is null)
            {
                Console.Error.WriteLine("Then enter the approval code it shows:");
                code = await Console.In.ReadLineAsync(cancellationToken);
            }
            if (string.IsNullOrWhiteSpace(code))
            {
                throw new ParleyClientException("No approval code was given; nothing was linked.");
            }
            string passphrase = CliSession.Passphrase(confirm: true);
            using var client = await ParleyClient.CompleteLinkAsync(home, passphrase, request, code, CliSession.Options, cancellationToken);
            Console.WriteLine($"Linked this device ({client.DeviceId}) to {client.Username} on {client.Server}. Your other device adds it to your conversations when it next syncs.");
            if (client.HasLinkHistory)
            {
                LinkedHistory? history;
                try
                {
                    history = await CliOutput.WithHistoryProgressAsync(CliOutput.Interactive(false),
                        progress => client.ReceiveLinkHistoryAsync(progress, cancellationToken));
                }
                catch (BackupFormatException e)
                {
                    throw new ParleyClientException($"{e.Message} Nothing was imported; this device is linked without its earlier history.", e);
                }
                Console.WriteLine($"Took the earlier history from your other device: {history!.Messages} messages in {history.Conversations} conversations.");
            }
            return 0;
        }));
        return command;
    }

    private static Command Approve()
    {
        var code = new Argument<string>("CODE") { Description = "The link code the new device shows (PL1.…)." };
        var noHistory = new Option<bool>("--no-history") { Description = "Do not send this device's history to the new device (it starts empty)." };
        var json = CliOutput.JsonOption();
        var command = new Command("approve",
            "Approve a new device's link code: sends it this device's history (encrypted, through the server) and prints the approval code to enter on the new device.")
        {
            code, noHistory, json,
        };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            bool asJson = parse.GetValue(json);
            string approval = await CliOutput.WithHistoryProgressAsync(CliOutput.Interactive(asJson),
                progress => client.ApproveDeviceAsync(parse.GetValue(code)!, !parse.GetValue(noHistory), progress, cancellationToken));
            if (asJson)
            {
                CliOutput.WriteJson(new DoneView("approved", null, null, approval), CliJsonContext.Default.DoneView);
                return 0;
            }
            Console.Error.WriteLine("Enter this approval code on the new device (it carries your account key: show it to no one else):");
            Console.WriteLine(approval);
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var json = CliOutput.JsonOption();
        var command = new Command("list", "List this account's devices.") { json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var devices = (await client.ListDevicesAsync(cancellationToken)).Select(d => new DeviceView(d.DeviceId, d.Current, d.Revoked, d.CertificateValid)).ToList();
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(devices, CliJsonContext.Default.ListDeviceView);
                return 0;
            }
            var table = new Table().AddColumns("Device", "State", "Certificate");
            foreach (var d in devices)
            {
                table.AddRow(d.DeviceId + (d.Current ? " (this device)" : ""), d.Revoked ? "revoked" : "active", d.CertificateValid ? "valid" : "INVALID");
            }
            CliOutput.Ansi.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var id = new Argument<string>("ID") { Description = "The device id (or a unique prefix) from `parley device list`." };
        var json = CliOutput.JsonOption();
        var command = new Command("revoke", "Revoke one of this account's devices and remove it from every conversation.") { id, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string revoked = await client.RevokeDeviceAsync(parse.GetValue(id)!, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("revoked", null, revoked, null), $"Revoked device {revoked}.");
        }));
        return command;
    }
}
