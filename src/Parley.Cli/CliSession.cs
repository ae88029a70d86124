using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Parley.Client;
using Parley.Client.Local;
using Parley.Client.Storage;
using Spectre.Console;

namespace Parley.Cli;

/// <summary>Opens this device's client for one command: home and server from the global options, passphrase
/// from PARLEY_PASSPHRASE or a prompt. When another parley process holds the home (<c>parley listen</c>,
/// <c>parley chat</c>), the command runs there instead, through the home's local endpoint (docs/local-endpoint.md).</summary>
internal static class CliSession
{
    // Commands that may run through the local endpoint: those that only need the open device.
    private static readonly ConditionalWeakTable<Command, object> Forwardable = [];

    /// <summary>This process's command line (without the program name), as the local endpoint forwards it.</summary>
    public static IReadOnlyList<string> Arguments { get; set; } = [];

    /// <summary>Client options for the CLI; PARLEY_INSECURE_FAST_KDF=1 (tests only) makes new stores cheap to open.</summary>
    public static ParleyClientOptions Options => new()
    {
        KeyDerivation = Environment.GetEnvironmentVariable("PARLEY_INSECURE_FAST_KDF") == "1" ? StoreKeyDerivation.Minimal : StoreKeyDerivation.Default,
    };

    /// <summary>True when <paramref name="command"/> may run through the local endpoint.</summary>
    public static bool IsForwardable(Command command) => Forwardable.TryGetValue(command, out _);

    /// <summary>Opens the device in the chosen home; <paramref name="serverIsDevices"/>: --server is a new address for
    /// the device's own server (not, as for public channels, another server to read from).</summary>
    public static ParleyClient Open(ParseResult parse, bool serverIsDevices = true)
    {
        string home = GlobalOptions.HomeOf(parse);
        if (!ParleyClient.Exists(home))
        {
            throw NoAccount(home);
        }
        return ParleyClient.Open(home, Passphrase(confirm: false), serverIsDevices ? GlobalOptions.ServerOf(parse) : null, Options);
    }

    private static ParleyClientException NoAccount(string home)
        => new($"There is no Parley account in {home}; run `parley account create NAME --server URL` or `parley device link`, or pass --home.");

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

    /// <summary>An absolute path for <paramref name="path"/>, relative to the working folder of whoever ran the
    /// command (which differs from this process's when it came through the local endpoint).</summary>
    public static string FullPath(string path) => Path.GetFullPath(path, LocalHost.Current?.WorkingDirectory ?? Environment.CurrentDirectory);

    /// <summary>Runs <paramref name="action"/> with the device: the one this process serves when the command came
    /// through the local endpoint, else the process holding the home runs the whole command, else the device is
    /// opened here and closed after.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> With(Command command, Func<ParseResult, ParleyClient, CancellationToken, Task<int>> action)
        => WithOptional(command, (parse, client, cancellationToken) => client is not null
            ? action(parse, client, cancellationToken)
            : throw NoAccount(GlobalOptions.HomeOf(parse)));

    /// <summary>As <see cref="With"/>, but runs <paramref name="action"/> with null when the home has no device (a
    /// public channel can be read without an account; --server then names the channel's server).</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> WithOptional(Command command,
        Func<ParseResult, ParleyClient?, CancellationToken, Task<int>> action, bool serverIsDevices = true)
    {
        Forwardable.AddOrUpdate(command, command);
        return (parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            if (LocalHost.Current is { } hosted)
            {
                return await action(parse, hosted.Client, cancellationToken);
            }
            string home = GlobalOptions.HomeOf(parse);
            if (!ParleyClient.Exists(home))
            {
                return await action(parse, null, cancellationToken);
            }
            if (ParleyClient.IsInUse(home)
                && await LocalEndpoint.TrySendAsync(home, new LocalRequest(Arguments, Environment.CurrentDirectory), cancellationToken) is { } answer)
            {
                Console.Out.Write(answer.Output);
                Console.Error.Write(answer.Error);
                return answer.ExitCode;
            }
            using var client = Open(parse, serverIsDevices);
            return await action(parse, client, cancellationToken);
        });
    }

    /// <summary>For commands that keep the device open (<c>listen</c>, <c>chat</c>): opens it, serves the home's local
    /// endpoint while <paramref name="action"/> runs, and closes both. Ctrl+C (SIGINT) or SIGTERM stops the action
    /// through its cancellation token, so that the socket is removed and the store closed on the way out.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Serving(Func<ParseResult, ParleyClient, CancellationToken, Task<int>> action)
        => (parse, cancellationToken) => CliErrors.RunAsync(parse, async () =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var client = Open(parse);
            await using var endpoint = LocalHost.Serve(GlobalOptions.HomeOf(parse), client);
            return await action(parse, client, stop.Token);
        });
}
