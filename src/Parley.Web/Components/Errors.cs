// One sentence for a person when an action fails; never a stack trace, and never a server's protocol sentence ("The group
// is at epoch 7.") where a person would not know what to do with it.
using Parley.Client;
using Parley.Client.Network;

namespace Parley.Web.Components;

/// <summary>What the page shows when a call to the client fails.</summary>
internal static class Errors
{
    public static string Sentence(Exception e) => e switch
    {
        ParleyClientException or ArgumentException or Parley.Client.Backup.BackupFormatException => e.Message,
        ServerProblemException p => Sentence(p),
        ServerUnavailableException => "The server cannot be reached; try again when it is back.",
        HttpRequestException => "The server cannot be reached; try again when it is back.",
        _ => "That did not work: " + e.Message,
    };

    /// <summary>The server's refusal in words for a person: the common codes have a sentence of their own; any other keeps
    /// the server's (problem details are written for people too).</summary>
    private static string Sentence(ServerProblemException p) => p.Code switch
    {
        // Someone else changed the conversation at the same moment (another member's commit won the race).
        "stale_epoch" => "Someone changed this conversation at the same moment; it is up to date now, so try again.",
        "rate_limited" => "The server is busy with this device’s requests; wait a minute and try again.",
        "unauthenticated" => "The server no longer accepts this device (it was revoked, or the server was reset).",
        "account_suspended" => "The server’s operator suspended this account; contact the operator of the server.",
        "group_not_found" or "not_member" => "You are no longer in this conversation.",
        "message_too_large" => "That is too large for the server; send something smaller.",
        _ => p.Message,
    };
}
