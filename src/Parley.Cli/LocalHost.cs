// The CLI's side of the local endpoint (docs/local-endpoint.md): a process that holds a home (listen, chat) runs
// the commands other parley processes forward to it, with its open device, and returns what they printed.
using System.CommandLine;
using Parley.Client;
using Parley.Client.Local;
using Spectre.Console;

namespace Parley.Cli;

/// <summary>One forwarded command being run: the device it uses, where its output goes and the caller's working folder.</summary>
internal sealed class HostedCommand(ParleyClient client, string workingDirectory)
{
    public ParleyClient Client { get; } = client;

    public string WorkingDirectory { get; } = workingDirectory;

    public StringWriter Output { get; } = new();

    public StringWriter Error { get; } = new();

    /// <summary>Spectre's console for tables, writing plain text into <see cref="Output"/> (as when output is redirected).</summary>
    public IAnsiConsole Ansi => field ??= AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(Output),
    });
}

/// <summary>Serves a home's local endpoint with the parley command tree.</summary>
internal static class LocalHost
{
    private static readonly AsyncLocal<HostedCommand?> Hosted = new();

    /// <summary>The forwarded command running on this flow, or null for the process's own command.</summary>
    public static HostedCommand? Current => Hosted.Value;

    /// <summary>Starts the endpoint of <paramref name="home"/>; when it cannot start, says why on standard error and
    /// returns null (the device works as before, and other commands find the home in use).</summary>
    public static LocalEndpoint? Serve(string home, ParleyClient client)
    {
        try
        {
            return LocalEndpoint.Start(home, (request, cancellationToken) => RunAsync(client, request, cancellationToken));
        }
        catch (Exception e) when (e is ParleyClientException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine("parley: " + e.Message);
            return null;
        }
    }

    /// <summary>Runs one forwarded command line with <paramref name="client"/> and returns what it printed.</summary>
    public static async Task<LocalResponse> RunAsync(ParleyClient client, LocalRequest request, CancellationToken cancellationToken)
    {
        string? refused = null;
        var hosted = new HostedCommand(client, request.WorkingDirectory);
        Hosted.Value = hosted;
        try
        {
            var configuration = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
                Output = hosted.Output,
                Error = hosted.Error,
            };
            int code = await ParleyCommand.RunAsync(request.Arguments, configuration, cancellationToken, parse =>
            {
                if (parse.Errors.Count > 0 || CliSession.IsForwardable(parse.CommandResult.Command))
                {
                    return null;
                }
                refused = $"parley: `parley {parse.CommandResult.Command.Name}` cannot run while another parley process (`parley listen` or "
                          + "`parley chat`) holds this home; stop that one first.\n";
                return CliErrors.Failed;
            });
            return refused is not null
                ? new LocalResponse(CliErrors.Failed, "", refused, "not_forwardable")
                : new LocalResponse(Math.Clamp(code, 0, 255), hosted.Output.ToString(), hosted.Error.ToString());
        }
        finally
        {
            Hosted.Value = null;
        }
    }
}

/// <summary>Standard output or error of this process, except on a flow running a forwarded command, where it is that
/// command's captured output.</summary>
internal sealed class RoutedWriter(TextWriter own, Func<HostedCommand, TextWriter> forwarded) : TextWriter
{
    private TextWriter Target => LocalHost.Current is { } hosted ? forwarded(hosted) : own;

    public override System.Text.Encoding Encoding => own.Encoding;

    /// <summary>Routes <see cref="Console.Out"/> and <see cref="Console.Error"/>; call once at start.</summary>
    public static void Install()
    {
        Console.SetOut(new RoutedWriter(Console.Out, h => h.Output));
        Console.SetError(new RoutedWriter(Console.Error, h => h.Error));
    }

    public override void Write(char value) => Target.Write(value);

    public override void Write(char[] buffer, int index, int count) => Target.Write(buffer, index, count);

    public override void Write(ReadOnlySpan<char> buffer) => Target.Write(buffer);

    public override void Write(string? value) => Target.Write(value);

    public override void WriteLine() => Target.WriteLine();

    public override void WriteLine(string? value) => Target.WriteLine(value);

    public override void WriteLine(ReadOnlySpan<char> buffer) => Target.WriteLine(buffer);

    public override void Flush() => Target.Flush();

    public override Task FlushAsync() => Target.FlushAsync();
}
