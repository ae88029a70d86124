// Why a separate address rather than a path on the public one: metrics tell anyone who can read them how busy the server is
// and when, so they are for the operator's own monitoring. Kestrel listens on Parley:MetricsUrl as well, and a request is
// told apart by the port it arrived on (the connection's local port, which a client cannot forge as it can a Host header):
// there only GET /metrics is answered, and on the public address /metrics is an unknown path like any other.
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Parley.Server.Operations;

/// <summary>The opt-in Prometheus endpoint on <see cref="ParleyServerOptions.MetricsUrl"/>: the <see cref="ServerMetrics"/>
/// meter and Kestrel's connection instruments, exported through OpenTelemetry.</summary>
public static class MetricsEndpoint
{
    /// <summary>The path scraped on the metrics address.</summary>
    public const string Path = "/metrics";

    /// <summary>The meters exported: Parley's own, and Kestrel's (open connections, connection duration, TLS handshakes).</summary>
    private static readonly string[] Meters = [ServerMetrics.MeterName, "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>The configured metrics address, or null when metrics are off.</summary>
    public static string? UrlOf(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? url = configuration[$"{ParleyServerOptions.Section}:{nameof(ParleyServerOptions.MetricsUrl)}"];
        return string.IsNullOrWhiteSpace(url) ? null : url.Trim();
    }

    /// <summary>When metrics are on, has Kestrel listen on their address beside the public ones and registers the exporter.</summary>
    public static void AddParleyMetrics(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (UrlOf(builder.Configuration) is not { } url)
        {
            return;
        }
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            // Endpoints from configuration replace --urls in Kestrel, so the metrics address joins them as one more.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Kestrel:Endpoints:ParleyMetrics:Url"] = url });
        }
        else
        {
            string urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : "http://localhost:5000";
            builder.WebHost.UseUrls($"{urls};{url}");
        }
        builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("parley-server")).WithMetrics(metrics => metrics.AddMeter(Meters).AddPrometheusExporter());
    }

    /// <summary>First in the pipeline: a request that arrived on the metrics port gets the scrape at <see cref="Path"/>
    /// and 404 elsewhere, and never reaches the API.</summary>
    public static void UseParleyMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (UrlOf(app.Configuration) is not { } url)
        {
            return;
        }
        int port = BindingAddress.Parse(url).Port;
        app.MapWhen(context => context.Connection.LocalPort == port, metrics =>
        {
            metrics.UseOpenTelemetryPrometheusScrapingEndpoint(Path);
            metrics.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }
}
