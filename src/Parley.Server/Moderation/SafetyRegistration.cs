using Parley.Server.Blocking;
using Parley.Server.Franking;
using Parley.Server.PublicChannels;
using Parley.Server.Reports;

namespace Parley.Server.Moderation;

/// <summary>Registration of franking, reports, blocking, suspension and the operator's endpoints (the stores are
/// registered with their storage engine).</summary>
public static class SafetyRegistration
{
    /// <summary>Adds the franking stamper, the suspended-account set and operator authentication.</summary>
    public static IServiceCollection AddParleySafety(this IServiceCollection services)
    {
        services.AddSingleton<FrankingStamper>();
        services.AddSingleton<SuspendedAccounts>();
        services.AddHostedService(s => s.GetRequiredService<SuspendedAccounts>());
        services.AddParleyOperator();
        return services;
    }

    /// <summary>Maps the report, block and moderation endpoints.</summary>
    public static IEndpointRouteBuilder MapParleySafety(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Built at start-up: a missing or malformed franking key stops the server now, not at the first message.
        app.ServiceProvider.GetRequiredService<FrankingStamper>();
        app.MapReportEndpoints();
        app.MapBlockEndpoints();
        app.MapModerationEndpoints();
        return app;
    }
}
