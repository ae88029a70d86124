using Parley.Server.Operations;

namespace Parley.Server;

/// <summary>Entry points to host the server: from its own executable, from <c>parley serve</c>, or from tests.</summary>
public static class ParleyServer
{
    /// <summary>Builds the server. Arguments: <c>--data DIR</c> (database folder), <c>--urls URL</c>,
    /// <c>--log-format json|text</c>, and any <c>--Parley:Setting value</c> of <see cref="ParleyServerOptions"/>. Throws
    /// <see cref="Operations.ServerStartupException"/> when a start-up check fails (<see cref="Operations.StartupChecks"/>).</summary>
    public static WebApplication Build(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--data"] = $"{ParleyServerOptions.Section}:{nameof(ParleyServerOptions.DataDirectory)}",
            ["--log-format"] = "LogFormat",
        });
        // Request paths name users and groups: keep the framework's per-request logs out by default.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter(typeof(Devices.DeviceAuthenticationHandler).FullName, LogLevel.Warning);
        if (string.Equals(builder.Configuration["LogFormat"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole();
        }
        builder.Services.AddParleyServer(builder.Configuration);
        builder.AddParleyMetrics();
        var app = builder.Build();
        // With the configuration complete (a test host adds its settings at Build) and before anything is opened.
        Operations.StartupChecks.Run(app.Configuration);
        app.UseParleyServer();
        return app;
    }

    /// <summary>Runs the server until <paramref name="cancellationToken"/> is cancelled or the host
    /// is asked to stop (Ctrl+C, SIGTERM); open WebSockets are closed before it returns. Returns the exit code; a server
    /// that cannot start throws <see cref="Operations.ServerStartupException"/>.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        await using WebApplication app = Build(args);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (Operations.StartupChecks.Explain(e) is { } explained)
        {
            throw explained;
        }
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}
