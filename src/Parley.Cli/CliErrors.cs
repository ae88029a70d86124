using System.CommandLine;
using Parley.Content;
using Parley.Client;
using Parley.Client.Attachments;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Client.Storage;
using Parley.Mls;

namespace Parley.Cli;

/// <summary>Turns every failure into one sentence on standard error and a non-zero exit code; the stack
/// trace only with <c>--verbose</c>.</summary>
internal static class CliErrors
{
    /// <summary>Exit code of a failure the user can fix (bad input, unknown name, refused by the server).</summary>
    public const int Failed = 1;

    /// <summary>Exit code when the server cannot be reached.</summary>
    public const int Unavailable = 3;

    /// <summary>Exit code when an identity key changed.</summary>
    public const int IdentityChanged = 4;

    /// <summary>Exit code on Ctrl+C.</summary>
    public const int Cancelled = 130;

    public static async Task<int> RunAsync(ParseResult parse, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            return Cancelled;
        }
        catch (Exception e)
        {
            var (message, code) = Describe(e);
            Console.Error.WriteLine("parley: " + message);
            if (parse.GetValue(GlobalOptions.Verbose))
            {
                Console.Error.WriteLine(e.ToString());
            }
            return code;
        }
    }

    /// <summary>The sentence and exit code for <paramref name="e"/>.</summary>
    public static (string Message, int Code) Describe(Exception e) => e switch
    {
        ParleyClientException p => (p.Message, Failed),
        Parley.Server.Operations.ServerStartupException s => (s.Message, Failed),
        IdentityKeyChangedException k => (k.Message + $" Run `parley verify {k.Username}` to see the new safety number.", IdentityChanged),
        WrongPassphraseException => ("The passphrase does not unlock this Parley home; check PARLEY_PASSPHRASE.", Failed),
        StoreInUseException => ("Another parley command (perhaps `parley listen` or `parley chat`) is using this home; stop it or wait for it to finish.", Failed),
        ClientStoreException s => (s.Message, Failed),
        ServerProblemException { Code: "unauthenticated" } => ("The server no longer accepts this device (it was revoked, or the server was reset).", Failed),
        ServerProblemException { Code: "rate_limited" } => ("The server is rate-limiting this device; wait a minute and try again.", Failed),
        ServerProblemException { Code: "account_suspended", Status: 403 } => ("The server's operator suspended this account; contact the operator of the server.", Failed),
        ServerProblemException p => ($"The server refused: {p.Message}", Failed),
        ServerUnavailableException u => (u.Message + " Is the server running?", Unavailable),
        AttachmentIntegrityException a => ("The downloaded file failed its integrity check and was discarded: " + a.Message, Failed),
        FormatException f => (f.Message, Failed),
        ArgumentException a => (a.Message, Failed),
        FileNotFoundException f => ($"No such file: {f.FileName}.", Failed),
        DirectoryNotFoundException d => (d.Message, Failed),
        UnauthorizedAccessException u => (u.Message, Failed),
        IOException io => (io.Message, Failed),
        MlsException m => ("An MLS operation failed: " + m.Message, Failed),
        _ => ($"Unexpected error ({e.GetType().Name}): {e.Message} Run again with --verbose for details.", Failed),
    };
}
