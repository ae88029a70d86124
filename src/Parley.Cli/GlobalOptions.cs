using System.CommandLine;

namespace Parley.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    /// <summary>The device's home folder (its encrypted store).</summary>
    public static readonly Option<string?> Home = new("--home")
    {
        Description = "This device's Parley folder (default: $PARLEY_HOME or ~/.parley).",
        Recursive = true,
    };

    /// <summary>The server's address.</summary>
    public static readonly Option<string?> Server = new("--server")
    {
        Description = "The Parley server, e.g. http://127.0.0.1:8080 (default: $PARLEY_SERVER, or the one the account was created on).",
        Recursive = true,
    };

    /// <summary>Print stack traces on errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Show details (stack traces) on errors.",
        Recursive = true,
    };

    /// <summary>The home folder chosen by the options or the environment.</summary>
    public static string HomeOf(ParseResult parse)
    {
        string? home = parse.GetValue(Home) ?? Environment.GetEnvironmentVariable("PARLEY_HOME");
        if (string.IsNullOrWhiteSpace(home))
        {
            home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".parley");
        }
        return Path.GetFullPath(home);
    }

    /// <summary>The server URL given by the options or the environment, if any.</summary>
    public static Uri? ServerOf(ParseResult parse)
    {
        string? server = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable("PARLEY_SERVER");
        if (string.IsNullOrWhiteSpace(server))
        {
            return null;
        }
        if (!Uri.TryCreate(server, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"'{server}' is not a server address; give one like http://127.0.0.1:8080.");
        }
        return uri;
    }
}
