using System.CommandLine;
using Parley.Client;
using Parley.Client.Backup;
using Parley.Client.Storage;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley backup create|restore</c> and <c>parley export</c> (docs/backup.md).</summary>
internal static class BackupCommands
{
    /// <summary>Where a cron job puts the backup passphrase.</summary>
    public const string PassphraseVariable = "PARLEY_BACKUP_PASSPHRASE";

    public static Command Build()
    {
        var backup = new Command("backup", "Write an encrypted backup of this account, or restore one as a new device.");
        backup.Subcommands.Add(Create());
        backup.Subcommands.Add(Restore());
        return backup;
    }

    private static Option<bool> PassphraseOption(string description) => new("--passphrase") { Description = description };

    private static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The backup file to write (replaced if it exists)." };
        var passphrase = PassphraseOption($"Encrypt with a passphrase ({PassphraseVariable}, or asked for) instead of a new backup key.");
        var json = CliOutput.JsonOption();
        var command = new Command("create", "Write an encrypted backup: account key, contacts, blocks, conversations, history, channels.") { file, passphrase, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string path = CliSession.FullPath(parse.GetValue(file)!);
            using var key = parse.GetValue(passphrase) ? null : BackupKey.Generate();
            var secret = key is null ? BackupSecret.FromPassphrase(BackupPassphrase(confirm: true), CliSession.Options.KeyDerivation) : BackupSecret.FromKey(key);
            var manifest = await WithProgressAsync(parse.GetValue(json), "Backing up", progress => client.CreateBackupAsync(path, secret, progress, cancellationToken));
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new DoneView("backed_up", null, path, key?.ToDisplayString()), CliJsonContext.Default.DoneView);
                return 0;
            }
            Console.WriteLine($"Backed up {manifest.Messages} messages of {manifest.Account} to {path}.");
            if (key is not null)
            {
                Console.Error.WriteLine("Your backup key (shown only now; write it down and keep it apart from the file, without it the backup cannot be opened):");
                Console.WriteLine(key.ToDisplayString());
            }
            return 0;
        }));
        return command;
    }

    private static Command Restore()
    {
        var file = new Argument<string>("FILE") { Description = "The backup file." };
        var key = new Option<string?>("--backup-key") { Description = "The backup key `parley backup create` printed (otherwise it is asked for)." };
        var passphrase = PassphraseOption($"The backup was made with a passphrase ({PassphraseVariable}, or asked for).");
        var revoke = new Option<string?>("--revoke") { Description = "Revoke this lost device (its id or a unique prefix; see `parley device list`)." };
        var revokeOthers = new Option<bool>("--revoke-others") { Description = "Revoke every other device of the account." };
        var json = CliOutput.JsonOption();
        var command = new Command("restore", "Restore a backup into a new --home as a new device of the same account.")
        {
            file, key, passphrase, revoke, revokeOthers, json,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            string home = GlobalOptions.HomeOf(parse);
            if (ParleyClient.Exists(home))
            {
                throw new ParleyClientException($"{home} already holds a Parley account; restore into a new --home.");
            }
            if (parse.GetValue(revoke) is not null && parse.GetValue(revokeOthers))
            {
                throw new ArgumentException("Give --revoke DEVICE or --revoke-others, not both.");
            }
            string path = CliSession.FullPath(parse.GetValue(file)!);
            using var backupKey = parse.GetValue(passphrase) ? null : BackupKey.Parse(parse.GetValue(key) ?? AskForKey());
            var secret = backupKey is null ? BackupSecret.FromPassphrase(BackupPassphrase(confirm: false)) : BackupSecret.FromKey(backupKey);
            // The whole file is checked before anything is written or registered.
            var manifest = ParleyClient.VerifyBackup(path, secret);
            string devicePassphrase = CliSession.Passphrase(confirm: true);
            using var client = await WithProgressAsync(parse.GetValue(json), "Restoring", progress =>
                ParleyClient.RestoreBackupAsync(home, devicePassphrase, GlobalOptions.ServerOf(parse), path, secret, CliSession.Options, progress, cancellationToken));
            IReadOnlyList<string> revoked = parse.GetValue(revoke) is { } lost ? [await client.RevokeDeviceAsync(lost, cancellationToken)]
                : parse.GetValue(revokeOthers) ? await client.RevokeOtherDevicesAsync(cancellationToken) : [];
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new DoneView("restored", null, client.DeviceId, string.Join(' ', revoked)), CliJsonContext.Default.DoneView);
                return 0;
            }
            Console.WriteLine($"Restored {manifest.Messages} messages of {client.Username} as a new device ({client.DeviceId}) on {client.Server}.");
            foreach (string id in revoked)
            {
                Console.WriteLine($"Revoked device {id}.");
            }
            if (client.AwaitingRejoin.Count > 0)
            {
                Console.Error.WriteLine($"Asked {client.AwaitingRejoin.Count} conversations to take this device back; each is read-only until a device "
                    + "of yours or of another member there syncs (`parley receive` here then shows it).");
            }
            return 0;
        }));
        return command;
    }

    public static Command Export()
    {
        var target = new Argument<string>("CONVERSATION") { Description = "A user name (your 1:1 chat) or a group's name or id." };
        var format = new Option<string>("--format") { Description = "json, txt or html.", DefaultValueFactory = _ => "txt" };
        format.AcceptOnlyFromAmong("json", "txt", "html");
        var output = new Option<string?>("--out") { Description = "The file to write (otherwise standard output)." };
        var json = CliOutput.JsonOption();
        var command = new Command("export", "Write a conversation's history as plain text (json, txt or html), from this device only.")
        {
            target, format, output, json,
        };
        command.SetAction(CliSession.With(command, (parse, client, _) =>
        {
            var chosen = parse.GetValue(format) switch
            {
                "json" => ExportFormat.Json,
                "html" => ExportFormat.Html,
                _ => ExportFormat.Text,
            };
            string name = parse.GetValue(target)!;
            Console.Error.WriteLine("Warning: the export is not encrypted; anyone who can read it reads this conversation.");
            if (parse.GetValue(output) is { } file)
            {
                string path = CliSession.FullPath(file);
                int count = BackupFile.WriteAtomically(path, stream => client.ExportConversation(name, chosen, stream));
                if (parse.GetValue(json))
                {
                    CliOutput.WriteJson(new DoneView("exported", name, path, count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                        CliJsonContext.Default.DoneView);
                    return Task.FromResult(0);
                }
                Console.Error.WriteLine($"Exported {count} messages to {path}.");
            }
            else if (parse.GetValue(json))
            {
                throw new ArgumentException("With --json, give --out FILE: the export itself would otherwise be the output.");
            }
            else
            {
                using var stdout = Console.OpenStandardOutput();
                client.ExportConversation(name, chosen, stdout);
            }
            return Task.FromResult(0);
        }));
        return command;
    }

    private static string AskForKey()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine() ?? throw new ArgumentException("Give the backup key with --key.");
        }
        return AnsiConsole.Prompt(new TextPrompt<string>("Backup key:").Secret());
    }

    private static string BackupPassphrase(bool confirm)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PassphraseVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }
        if (Console.IsInputRedirected)
        {
            throw new ParleyClientException($"Set {PassphraseVariable} (there is no terminal to ask for the backup passphrase).");
        }
        string passphrase = AnsiConsole.Prompt(new TextPrompt<string>("Backup passphrase:").Secret());
        if (confirm && AnsiConsole.Prompt(new TextPrompt<string>("Repeat the backup passphrase:").Secret()) != passphrase)
        {
            throw new ParleyClientException("The passphrases differ; no backup was written.");
        }
        return passphrase;
    }

    // A progress bar on a terminal; nothing when run from cron or a script.
    private static async Task<T> WithProgressAsync<T>(bool json, string description, Func<IProgress<BackupProgress>?, Task<T>> work)
    {
        if (!CliOutput.Interactive(json))
        {
            return await work(null);
        }
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(description + " messages", maxValue: 1);
                result = await work(new Progress<BackupProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalMessages);
                    task.Value = p.Messages;
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }
}
