using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Channels;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Http;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;
using Parley.Server.Moderation;
using Parley.Server.Operations;
using Parley.Server.Presence;
using Parley.Server.PublicChannels;
using Parley.Server.Reports;
using Parley.Server.Storage;
using Parley.Server.Storage.Postgres;
using Parley.Server.Storage.Shared;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server;

/// <summary>Service registration and the request pipeline of the server.</summary>
public static class ServerRegistration
{
    /// <summary>Registers options, SQLite stores, authentication, rate limits, JSON and OpenAPI.</summary>
    public static IServiceCollection AddParleyServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ParleyServerOptions>().Bind(configuration.GetSection(ParleyServerOptions.Section));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ParleyServerOptions>>(
            (kestrel, parley) =>
            {
                kestrel.Limits.MaxRequestBodySize = parley.Value.MaxRequestBodyBytes;
                RequestHeadLimits.ConfigureKestrel(kestrel.Limits);
            });
        // Only the proxies named in Parley:TrustedProxies are believed (not the framework's default of any loopback address).
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ParleyServerOptions>>((forwarded, parley) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = 1;
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (System.Net.IPAddress proxy in parley.Value.TrustedProxyAddresses())
            {
                forwarded.KnownProxies.Add(proxy);
            }
        });
        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<ServerMetrics>();

        // The storage engine, chosen by configuration (docs/scaling.md): SQLite unless Parley:Postgres is set.
        if (string.IsNullOrWhiteSpace(configuration[$"{ParleyServerOptions.Section}:{nameof(ParleyServerOptions.Postgres)}"]))
        {
            services.AddSingleton<SqliteDatabase>();
            services.AddSingleton<IStorageEngine, SqliteStorageEngine>();
            services.AddSingleton<IKeyPackageStore, SqliteKeyPackageStore>();
            services.AddSingleton<IGroupStore, SqliteGroupStore>();
            services.AddSingleton<IMailboxStore, SqliteMailboxStore>();
            services.AddSingleton<SqlEngine, SqliteSqlEngine>();
            services.AddSharedSqlStores();
            services.AddSingleton<IChallengeStore, MemoryChallengeStore>();
            services.AddSqliteSafetyStores();
        }
        else
        {
            services.AddParleyPostgres();
        }
        services.AddParleyPresence(configuration);
        services.AddSingleton<BlobFiles>();
        services.AddSingleton<BlobLocks>();

        services.AddSingleton<ChallengeIssuer>();
        services.AddSingleton<DeviceConnections>();
        services.AddParleyConnectionBudget();
        services.AddHostedService<DataFolderCheck>();
        services.AddHostedService<MailboxExpiry>();
        services.AddHostedService<BlobExpiry>();
        services.AddHostedService<ChannelExpiry>();
        services.AddHostedService<ReportRetention>();

        services.AddAuthentication(DeviceAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, DeviceAuthenticationHandler>(DeviceAuthenticationHandler.SchemeName, null);
        // A subscriber queue authenticates through the same scheme but holds no account: the default policy (every endpoint's
        // RequireAuthorization()) wants a device of an account; the few a queue may call name the member or queue policy.
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(DeviceAuthenticationHandler.SchemeName)
                .RequireClaim(DeviceAuthenticationHandler.AccountClaim).Build())
            .AddPolicy(DeviceAuthenticationHandler.MemberPolicy, policy => policy
                .AddAuthenticationSchemes(DeviceAuthenticationHandler.SchemeName).RequireClaim(DeviceAuthenticationHandler.DeviceClaim))
            .AddPolicy(DeviceAuthenticationHandler.QueuePolicy, policy => policy
                .AddAuthenticationSchemes(DeviceAuthenticationHandler.SchemeName).RequireClaim(DeviceAuthenticationHandler.QueueClaim));
        services.AddParleySafety();
        services.AddParleyRateLimits();
        // Every problem answer passes here (ProblemHttpResult writes through the problem details service): count it by code.
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails.Extensions.TryGetValue("code", out object? code) && code is string text)
            {
                context.HttpContext.RequestServices.GetRequiredService<ServerMetrics>().RequestRejected(text);
            }
        });
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default));
        services.AddOpenApi();
        return services;
    }

    /// <summary>Builds the pipeline and maps every endpoint.</summary>
    public static WebApplication UseParleyServer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // A request on the metrics address (Parley:MetricsUrl, when set) is answered there and never reaches the API.
        app.UseParleyMetrics();
        // Before anything that reads the client's address (rate limits), when the server sits behind a proxy it trusts.
        if (!string.IsNullOrWhiteSpace(app.Services.GetRequiredService<IOptions<ParleyServerOptions>>().Value.TrustedProxies))
        {
            app.UseForwardedHeaders();
        }
        // Before everything else, so an oversized request line or header set gets a problem body wherever it was going.
        app.UseParleyRequestHeadLimits();
        // First after that, so an open delivery socket keeps no middleware's state, authentication or request scope for its
        // life; the WebSocket middleware is in the gate's branch, as no other endpoint upgrades.
        app.UseDeviceSocketGate(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseParleyErrorHandling();
        app.UseParleyRequestLimits();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        // The one document by its literal path: the framework's "/openapi/{documentName}.json" answers other names with a
        // plain-text 404 rather than a problem.
        app.MapOpenApi("/openapi/v1.json");
        // Every endpoint is mapped in this group, so every JSON body is held to its contract's nullable annotations.
        RouteGroupBuilder api = app.MapGroup("").RequireBodiesToMatchNullability();
        api.MapHealthEndpoints();
        api.MapAccountEndpoints();
        api.MapDeviceEndpoints();
        api.MapKeyPackageEndpoints();
        api.MapGroupEndpoints();
        api.MapDeliveryEndpoints();
        api.MapSealedSendEndpoints();
        api.MapMailboxEndpoints();
        api.MapBlobEndpoints();
        api.MapChannelEndpoints();
        api.MapPublicChannelEndpoints();
        api.MapParleySafety();

        // Open the database (and create the schema) at start-up, not on the first request.
        app.Services.GetRequiredService<IStorageEngine>();
        var connections = app.Services.GetRequiredService<DeviceConnections>();
        app.Lifetime.ApplicationStopping.Register(connections.CloseAll);
        return app;
    }
}
