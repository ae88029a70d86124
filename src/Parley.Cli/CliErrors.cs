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
            var failure = Describe(e);
            Write(parse, failure);
            if (parse.GetValue(GlobalOptions.Verbose))
            {
                Console.Error.WriteLine(e.ToString());
            }
            return failure.ExitCode;
        }
    }

    /// <summary>Reports <paramref name="failure"/>: one sentence on standard error, or with <c>--json</c> an
    /// <see cref="ErrorView"/> on standard output.</summary>
    public static void Write(ParseResult parse, Failure failure)
    {
        if (CliOutput.JsonRequested(parse))
        {
            CliOutput.WriteJson(new ErrorView(failure.Message, failure.Code, failure.ExitCode), CliJsonContext.Default.ErrorView);
        }
        else
        {
            Console.Error.WriteLine("parley: " + failure.Message);
        }
    }

    /// <summary>The sentence, stable code and exit code for <paramref name="e"/>.</summary>
    public static Failure Describe(Exception e) => e switch
    {
        CommandFailedException c => new(c.Message, c.Code, c.ExitCode),
        ParleyClientException p => new(Sentence(p), "refused", Failed),
        Parley.Server.Operations.ServerStartupException s => new(s.Message, "server_start", Failed),
        IdentityKeyChangedException k => new(k.Message + $" Run `parley verify {k.Username}` to see the new safety number.", "identity_changed", IdentityChanged),
        WrongPassphraseException => new("The passphrase does not unlock this Parley home; check PARLEY_PASSPHRASE.", "wrong_passphrase", Failed),
        StoreInUseException => new("Another Parley program (`parley web`, `parley listen` or `parley chat`, or a `parley web` waiting for its passphrase) is using this home; unlock or stop it, or wait for it to finish.",
            "home_in_use", Failed),
        ClientStoreException s => new(s.Message, "store", Failed),
        Parley.Client.Backup.BackupFormatException b => new(b.Message + " Nothing was written.", "backup_" + Snake(b.Problem.ToString()), Failed),
        ServerProblemException { Code: "unauthenticated" } => new("The server no longer accepts this device (it was revoked, or the server was reset).",
            "unauthenticated", Failed),
        ServerProblemException { Code: "rate_limited" } => new("The server is rate-limiting this device; wait a minute and try again.", "rate_limited", Failed),
        ServerProblemException { Code: "account_suspended", Status: 403 } => new("The server's operator suspended this account; contact the operator of the server.",
            "account_suspended", Failed),
        ServerProblemException p => new($"The server refused: {p.Message}", "server_" + p.Code, Failed),
        ServerUnavailableException u => new(u.Message + " Is the server running?", "server_unavailable", Unavailable),
        AttachmentIntegrityException a => new("The downloaded file failed its integrity check and was discarded: " + a.Message, "integrity", Failed),
        FormatException f => new(f.Message, "invalid_input", Failed),
        ArgumentException a => new(a.Message, "invalid_input", Failed),
        FileNotFoundException f => new($"No such file: {f.FileName}.", "not_found", Failed),
        DirectoryNotFoundException d => new(d.Message, "not_found", Failed),
        UnauthorizedAccessException u => new(u.Message, "io", Failed),
        IOException io => new(io.Message, "io", Failed),
        MlsException m => new("An MLS operation failed: " + m.Message, "mls", Failed),
        _ => new($"Unexpected error ({e.GetType().Name}): {e.Message} Run again with --verbose for details.", "unexpected", Failed),
    };

    private static string Snake(string name)
        => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>The client library's refusal in the CLI's words: the library's sentence names no command, so the next
    /// step a person can take here is added by its code.</summary>
    public static string Sentence(ParleyClientException p)
    {
        string s = p.Subject ?? "";
        string d = p.Detail ?? "";
        return p.Code switch
        {
            ClientError.NoAccount when p.Subject is null => "This Parley home has no account yet; run `parley account create NAME`.",
            ClientError.NoAccount => $"There is no Parley account in {s}; run `parley account create NAME --server URL` or `parley device link`.",
            ClientError.HomeHasAccount => $"{s} already holds a Parley account; {(d == "link" ? "link into" : "use")} another --home.",
            ClientError.ConversationNotFound => $"No conversation is named {s}; see `parley group list`.",
            ClientError.ConversationNameAmbiguous => $"Several groups are named {s}; use the id from `parley group list`.",
            ClientError.ConversationIdAmbiguous => $"Several conversations have ids starting with {s}; give more of the id from `parley group list --json`.",
            ClientError.ChannelNotFound => $"You are in no private channel named {s}; see `parley channel list`.",
            ClientError.ChannelNameAmbiguous => $"Several channels are named {s}; use the id from `parley channel list`.",
            ClientError.InviteNotFound => $"{s} has no invite {d}; see `parley channel invites {s}`.",
            ClientError.JoinRequestNotFound => $"{s} has no pending request {d}; see `parley channel requests {s}`.",
            ClientError.AdminRemovesSelf => "An admin cannot remove themself; ask another admin to run `parley channel admins remove`.",
            ClientError.AdminLeaves => $"You are an admin of {s}; another admin can remove you with `parley channel admins remove {s} {d}`.",
            ClientError.ChannelMembersByInvite =>
                $"{s} is a channel: people join it by invite link (`parley channel invite`), and admins change with `parley channel admins add|remove`.",
            ClientError.PostIdInvalid => $"'{d}' is not a post id; see `parley channel read {s}`.",
            ClientError.DeviceNotFound => $"This account has no device {d}; see `parley device list`.",
            ClientError.MessageNotFound => $"There is no message {d} in {p.Subject ?? "this conversation"}; see `parley history {p.Subject ?? "NAME"} --ids`.",
            ClientError.NotOwnMessage =>
                "You can only edit or delete your own messages for everyone; `parley delete ... --for-me` removes any message from this device.",
            ClientError.OperatorKeyMissing => $"There is no operator key file at {s}; create one with `parley admin keygen --out FILE`.",
            ClientError.NotAContact => $"{s} is not a contact yet; run `parley verify {s}` first.",
            _ => p.Message,
        };
    }
}

/// <summary>What went wrong, for a person (<paramref name="Message"/>) and for a script (<paramref name="Code"/>, the exit code).</summary>
internal readonly record struct Failure(string Message, string Code, int ExitCode);

/// <summary>A command's own failure that is not an exception of the library (a refused send, a revoked device).</summary>
internal sealed class CommandFailedException(string message, string code, int exitCode = CliErrors.Failed) : Exception(message)
{
    public string Code { get; } = code;

    public int ExitCode { get; } = exitCode;
}

/// <summary>An error as <c>--json</c> prints it on standard output.</summary>
internal sealed record ErrorView(string Error, string Code, int ExitCode);
