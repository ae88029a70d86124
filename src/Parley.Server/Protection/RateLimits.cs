using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Parley.Server.Devices;
using Parley.Server.Http;

namespace Parley.Server;

/// <summary>Rate limits: every request counts against its device (or, unauthenticated, its IP
/// address), its account, and its IP address (a looser limit shared by everyone behind it);
/// anonymous endpoints (challenges, registration, adding a device) have a tighter per-IP policy.
/// A refused request gets 429 with Retry-After and problem code "rate_limited". IP addresses live
/// only in memory, never in storage or logs.</summary>
public static class RateLimits
{
    /// <summary>Policy name for the anonymous endpoints.</summary>
    public const string Anonymous = "anonymous";

    public static IServiceCollection AddParleyRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ParleyServerOptions>>((limiter, parley) =>
        {
            ParleyServerOptions o = parley.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                {
                    string? device = context.User.FindFirst(DeviceAuthenticationHandler.DeviceClaim)?.Value;
                    return PerMinute(device is not null ? "device:" + device : "ip:" + IpOf(context), o.RequestsPerMinute);
                }),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                {
                    string? account = context.User.FindFirst(DeviceAuthenticationHandler.AccountClaim)?.Value;
                    return account is null
                        ? RateLimitPartition.GetNoLimiter("none")
                        : PerMinute("account:" + account, o.RequestsPerMinutePerAccount);
                }),
                PartitionedRateLimiter.Create<HttpContext, string>(
                    context => PerMinute("address:" + IpOf(context), o.RequestsPerMinutePerAddress)));
            limiter.AddPolicy(Anonymous, context => PerMinute("anon:" + IpOf(context), o.AnonymousRequestsPerMinute));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                HttpContext http = rejected.HttpContext;
                TimeSpan retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : TimeSpan.FromSeconds(60);
                int seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                    $"Too many requests; retry in {seconds} seconds.").ExecuteAsync(http);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> PerMinute(string key, int permits)
        => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });

    private static string IpOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
