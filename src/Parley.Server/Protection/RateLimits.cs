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

    private static readonly Partition Unlimited = new(Scope.None, string.Empty);

    public static IServiceCollection AddParleyRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ParleyServerOptions>>((limiter, parley) =>
        {
            ParleyServerOptions o = parley.Value;
            // Partitions are keyed by a small struct over the claim value or the connection's address, which the request
            // holds anyway, and each policy's options are built once: no key string is made per request, and a partition
            // (kept until it has been idle for 10 s after its window, so not by an idle WebSocket) holds no copy of an id.
            Func<Partition, FixedWindowRateLimiterOptions> perDevice = PerMinute(o.RequestsPerMinute);
            Func<Partition, FixedWindowRateLimiterOptions> perAccount = PerMinute(o.RequestsPerMinutePerAccount);
            Func<Partition, FixedWindowRateLimiterOptions> perAddress = PerMinute(o.RequestsPerMinutePerAddress);
            Func<Partition, FixedWindowRateLimiterOptions> perAnonymous = PerMinute(o.AnonymousRequestsPerMinute);
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, Partition>(context =>
                {
                    string? device = context.User.FindFirst(DeviceAuthenticationHandler.DeviceClaim)?.Value;
                    return RateLimitPartition.GetFixedWindowLimiter(
                        device is not null ? new Partition(Scope.Device, device) : new Partition(Scope.Ip, IpOf(context)), perDevice);
                }),
                PartitionedRateLimiter.Create<HttpContext, Partition>(context =>
                {
                    string? account = context.User.FindFirst(DeviceAuthenticationHandler.AccountClaim)?.Value;
                    return account is null
                        ? RateLimitPartition.GetNoLimiter(Unlimited)
                        : RateLimitPartition.GetFixedWindowLimiter(new Partition(Scope.Account, account), perAccount);
                }),
                PartitionedRateLimiter.Create<HttpContext, Partition>(
                    context => RateLimitPartition.GetFixedWindowLimiter(new Partition(Scope.Address, IpOf(context)), perAddress)));
            limiter.AddPolicy(Anonymous, context => RateLimitPartition.GetFixedWindowLimiter(new Partition(Scope.Anonymous, IpOf(context)), perAnonymous));
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

    private static Func<Partition, FixedWindowRateLimiterOptions> PerMinute(int permits)
    {
        var options = new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        return _ => options;
    }

    /// <summary>The remote address as the connection holds it (an <see cref="System.Net.IPAddress"/>, equal by value), so no
    /// string is made for it on every request.</summary>
    private static object IpOf(HttpContext context) => (object?)context.Connection.RemoteIpAddress ?? "unknown";

    private enum Scope : byte
    {
        None,
        Device,
        Ip,
        Account,
        Address,
        Anonymous,
    }

    /// <summary>A partition: what is counted (a device, an account, an address) and its id or address.</summary>
    private readonly record struct Partition(Scope Scope, object Value);
}
