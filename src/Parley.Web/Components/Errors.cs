// One sentence for a person when an action fails; never a stack trace.
using Parley.Client;
using Parley.Client.Network;

namespace Parley.Web.Components;

/// <summary>What the page shows when a call to the client fails.</summary>
internal static class Errors
{
    public static string Sentence(Exception e) => e switch
    {
        ParleyClientException or ArgumentException => e.Message,
        ServerProblemException p => p.Message,
        ServerUnavailableException => "The server cannot be reached; try again when it is back.",
        HttpRequestException => "The server cannot be reached; try again when it is back.",
        _ => "That did not work: " + e.Message,
    };
}
