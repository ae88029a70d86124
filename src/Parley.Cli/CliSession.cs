using System.CommandLine;
using Parley.Client;
using Parley.Client.Storage;
using Spectre.Console;

namespace Parley.Cli;

/// <summary>Opens this device's client for one command: home and server from the global options, passphrase
/// from PARLEY_PASSPHRASE or a prompt.</summary>
internal static class CliSession
{
    /// <summary>Client options for the CLI; PARLEY_INSECURE_FAST_KDF=1 (tests only) makes new stores cheap to open.</summary>
    public static ParleyClientOptions Options => new()
    {
        KeyDerivation = Environment.GetEnvironmentVariable("PARLEY_INSECURE_FAST_KDF") == "1" ? StoreKeyDerivation.Minimal : StoreKeyDerivation.Default,
    };

    /// <summary>Opens the device in the chosen home.</summary>
    public static ParleyClient Open(ParseResult parse)
    {
        string home = GlobalOptions.HomeOf(parse);
        if (!ParleyClient.Exists(home))
        {
            throw new ParleyClientException($"There is no Parley account in {home}; run `parley account create NAME --server URL` or `parley device link`, or pass --home.");
        }
        return ParleyClient.Open(home, Passphrase(confirm: false), GlobalOptions.ServerOf(parse), Options);
    }

    /// <summary>The passphrase: PARLEY_PASSPHRASE, or asked for on the terminal.</summary>
    public static string Passphrase(bool confirm)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("PARLEY_PASSPHRASE");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }
        if (Console.IsInputRedirected)
        {
            throw new ParleyClientException("Set PARLEY_PASSPHRASE (there is no terminal to ask for the passphrase).");
        }
        string passphrase = AnsiConsole.Prompt(new TextPrompt<string>("Passphrase for this Parley home:").Secret());
        if (confirm)
        {
            string again = AnsiConsole.Prompt(new TextPrompt<string>("Repeat the passphrase:").Secret());
            if (again != passphrase)
            {
                throw new ParleyClientException("The passphrases differ; nothing was created.");
            }
            if (passphrase.Length < 8)
            {
                throw new ParleyClientException("Choose a passphrase of at least 8 characters.");
            }
        }
        return passphrase;
    }

    /// <summary>Opens the device, runs <paramref name="action"/>, and closes it.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> With(Func<ParseResult, ParleyClient, CancellationToken, Task<int>> action)
        => (parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            using var client = Open(parse);
            return await action(parse, client, cancellationToken);
        });
}
