using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Parley.Server;

namespace Parley.Cli.Commands;

/// <summary><c>parley serve --data DIR --urls URL [--Parley:Setting VALUE …]</c>: hosts the Parley server in this process.</summary>
internal static class ServeCommand
{
    /// <summary>What each server setting does, as <c>parley serve --help</c> lists it (defaults come from
    /// <see cref="ParleyServerOptions"/> itself).</summary>
    private static readonly Dictionary<string, string> Settings = new(StringComparer.Ordinal)
    {
        [nameof(ParleyServerOptions.OperatorKey)] = "the operator's public key (from `parley admin keygen`); unset, moderation is off",
        [nameof(ParleyServerOptions.Postgres)] = "a PostgreSQL connection string: store everything there, so several nodes can serve",
        [nameof(ParleyServerOptions.PostgresWriters)] = "PostgreSQL transactions one node keeps in flight",
        [nameof(ParleyServerOptions.Redis)] = "host:port of Redis: nodes tell each other that mail arrived",
        [nameof(ParleyServerOptions.FrankingKey)] = "base64 of 32 bytes that seal delivery stamps; unset, created once",
        [nameof(ParleyServerOptions.SecretsDirectory)] = "where a single node keeps the secrets it creates (default: DATA-secrets)",
        [nameof(ParleyServerOptions.MessageRetention)] = "how long an undelivered message waits (d.hh:mm:ss)",
        [nameof(ParleyServerOptions.BlobRetention)] = "how long a file is kept (default: MessageRetention)",
        [nameof(ParleyServerOptions.BlobUploadWindow)] = "how long an upload may take before its partial file is dropped",
        [nameof(ParleyServerOptions.ExpirySweepInterval)] = "how often expired messages and key packages are swept",
        [nameof(ParleyServerOptions.MaxRequestBodyBytes)] = "largest HTTP request body",
        [nameof(ParleyServerOptions.MaxMessageBytes)] = "largest MLS message",
        [nameof(ParleyServerOptions.MaxWelcomeBytes)] = "largest Welcome sent with a commit",
        [nameof(ParleyServerOptions.MaxConnections)] = "most device WebSockets on this node (unset: from the open-file limit)",
        [nameof(ParleyServerOptions.MaxWebSocketFrameBytes)] = "largest WebSocket frame from a device",
        [nameof(ParleyServerOptions.MaxKeyPackagesPerUpload)] = "most key packages in one upload",
        [nameof(ParleyServerOptions.MaxKeyPackagesPerDevice)] = "most one-time key packages a device keeps stored",
        [nameof(ParleyServerOptions.KeyPackageClaimsPerTargetPerHour)] = "claims of one account's key packages by another, per hour",
        [nameof(ParleyServerOptions.OneTimeKeyPackageClaimsPerHour)] = "claims of an account's one-time key packages by anyone, per hour",
        [nameof(ParleyServerOptions.MaxDevicesPerAccount)] = "most devices (revoked ones included) per account",
        [nameof(ParleyServerOptions.MaxGroupMembers)] = "most members of a group",
        [nameof(ParleyServerOptions.MaxChannelMembers)] = "most members of a private channel",
        [nameof(ParleyServerOptions.RequestsPerMinute)] = "requests a minute per device, or per IP address when anonymous",
        [nameof(ParleyServerOptions.RequestsPerMinutePerAccount)] = "requests a minute per account",
        [nameof(ParleyServerOptions.RequestsPerMinutePerAddress)] = "requests a minute per IP address",
        [nameof(ParleyServerOptions.AnonymousRequestsPerMinute)] = "registrations and challenges a minute per IP address",
        [nameof(ParleyServerOptions.SealedSending)] = "take application messages sent sealed, without naming the sending device",
        [nameof(ParleyServerOptions.SealedSendsPerMinutePerCredential)] = "sealed sends a minute per group epoch's delivery credential",
        [nameof(ParleyServerOptions.ChallengeLifetime)] = "how long a signing challenge stays valid",
        [nameof(ParleyServerOptions.MaxBlobBytes)] = "largest file",
        [nameof(ParleyServerOptions.MaxBlobBytesPerDevice)] = "most bytes of files one device may hold at a time",
        [nameof(ParleyServerOptions.MaxWriteBatch)] = "most writes gathered into one transaction",
        [nameof(ParleyServerOptions.TrustedProxies)] = "reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For is believed",
        [nameof(ParleyServerOptions.MetricsUrl)] = "a separate address serving Prometheus metrics at /metrics; unset, none",
    };

    public static Command Build()
    {
        var data = new Option<string>("--data") { Description = "Folder for the server's database (created if missing).", Required = true };
        var urls = new Option<string>("--urls")
        {
            Description = "Address to listen on, e.g. http://127.0.0.1:8080 (port 0 picks a free port).",
            DefaultValueFactory = _ => "http://127.0.0.1:8080",
        };
        var logFormat = new Option<string>("--log-format") { Description = "Log format: text or json.", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("serve", "Run a Parley server in this process until Ctrl+C; settings below go as --Parley:Name VALUE.") { data, urls, logFormat };
        // Any --Parley:Setting value pair goes to the server as is.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) => await CliErrors.RunAsync(parse, async () =>
        {
            // The server checks and creates the folder (readable by its user only) with its other start-up checks.
            var settings = SettingTokens(parse.UnmatchedTokens);
            string dataDir = Path.GetFullPath(parse.GetValue(data)!);
            var args = new List<string> { "--data", dataDir, "--urls", parse.GetValue(urls)!, "--log-format", parse.GetValue(logFormat)! };
            args.AddRange(settings);
            return await ParleyServer.RunAsync([.. args], cancellationToken);
        }));
        return command;
    }

    /// <summary>The <c>Settings:</c> section of <c>parley serve --help</c>: every setting of <see cref="ParleyServerOptions"/>
    /// with its default.</summary>
    public static IEnumerable<string> SettingsHelp()
    {
        var defaults = new ParleyServerOptions();
        foreach (var property in typeof(ParleyServerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanWrite && p.Name != nameof(ParleyServerOptions.DataDirectory)))
        {
            string value = Convert.ToString(property.GetValue(defaults), CultureInfo.InvariantCulture) is { Length: > 0 } v ? $" (default {v})" : "";
            string what = Settings.TryGetValue(property.Name, out var description) ? description : "see docs/server-protocol.md";
            yield return $"--{ParleyServerOptions.Section}:{property.Name}".PadRight(46) + what + value;
        }
    }

    // Settings come as pairs (--Parley:Name VALUE) or as --Parley:Name=VALUE; anything else is a mistake, said before starting.
    private static List<string> SettingTokens(IReadOnlyList<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains(':', StringComparison.Ordinal))
            {
                throw new CommandFailedException(
                    $"`parley serve` does not take {token}; server settings are given as --Parley:Name VALUE (see `parley serve --help`).", "invalid_input");
            }
            if (!token.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= tokens.Count)
                {
                    throw new CommandFailedException($"{token} needs a value.", "invalid_input");
                }
                i++;
            }
        }
        return [.. tokens];
    }
}
