using System.CommandLine;

namespace Parley.Cli;

/// <summary>The options several commands share. Each command takes only those that mean something to it (see
/// <see cref="CommandCatalog"/>); <c>--verbose</c> is taken everywhere.</summary>
internal static class GlobalOptions
{
    /// <summary>The device's home folder (its encrypted store).</summary>
    public static readonly Option<string?> Home = new("--home")
    {
        Description = "This device's Parley folder (default: $PARLEY_HOME or ~/.parley).",
    };

    /// <summary>The server's address.</summary>
    public static readonly Option<string?> Server = new("--server")
    {
        Description = "The Parley server, e.g. http://127.0.0.1:8080 (default: $PARLEY_SERVER, or the one the account was created on).",
    };

    /// <summary>The server operator's key file, for <c>parley admin</c>.</summary>
    public static readonly Option<string?> OperatorKey = new("--key")
    {
        Description = "The operator key file (default: $PARLEY_OPERATOR_KEY_FILE).",
    };

    /// <summary>The shared options that take a value, with the environment variable each stands for.</summary>
    public static readonly IReadOnlyList<(Option<string?> Option, string Environment)> Shared =
        [(Home, "PARLEY_HOME"), (Server, "PARLEY_SERVER"), (OperatorKey, "PARLEY_OPERATOR_KEY_FILE")];

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
