using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.KeyPackages;

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
        services.AddSingleton<RequestLimiter>();
        services.AddSingleton<KeyPackageClaimLimiter>();
        services.AddSingleton<SealedSendLimiter>();
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ParleyServerOptions>, RequestLimiter>((limiter, parley, requests) =>
        {
            limiter.GlobalLimiter = requests.ForRequests;
            Func<Partition, FixedWindowRateLimiterOptions> perAnonymous = PerMinute<Partition>(parley.Value.AnonymousRequestsPerMinute);
            limiter.AddPolicy(Anonymous, context => RateLimitPartition.GetFixedWindowLimiter(new Partition(Scope.Anonymous, IpOf(context)), perAnonymous));
            limiter.OnRejected = (rejected, _) => new ValueTask(RejectAsync(rejected.HttpContext, rejected.Lease));
        });
        return services;
    }

    /// <summary>Answers a refused request: 429 "rate_limited" with Retry-After, the rest of the spent window.</summary>
    public static Task RejectAsync(HttpContext context, RateLimitLease lease)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lease);
        int seconds = SetRetryAfter(context, RetryAfterOf(lease));
        return Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
            $"Too many requests; retry in {seconds} seconds.").ExecuteAsync(context);
    }

    /// <summary>How long a refused lease says to wait (a minute if it does not say).</summary>
    public static TimeSpan RetryAfterOf(RateLimitLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : TimeSpan.FromSeconds(60);
    }

    /// <summary>Sets the Retry-After header of a 429 answer to <paramref name="retryAfter"/>, rounded up to whole seconds
    /// (at least one), and returns those seconds for the problem's detail.</summary>
    public static int SetRetryAfter(HttpContext context, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(context);
        int seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return seconds;
    }

    /// <summary>How often one account may claim a given other account's key packages (RFC 9420 §16.8: the key package
    /// directory "SHOULD rate-limit KeyPackage requests"): a fixed window of an hour per (claimer, target) pair. The
    /// pairs live only in this node's memory, for at most an hour after their last claim, so no copy of the database
    /// says who looked up whose key packages; with several nodes each keeps its own count, and the per-target cap
    /// kept in the database (<see cref="ParleyServerOptions.OneTimeKeyPackageClaimsPerHour"/>) bounds the total.</summary>
    public sealed class KeyPackageClaimLimiter : IDisposable
    {
        private readonly PartitionedRateLimiter<ClaimPair> _limiter;

        public KeyPackageClaimLimiter(IOptions<ParleyServerOptions> parley)
        {
            ArgumentNullException.ThrowIfNull(parley);
            var options = new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, parley.Value.KeyPackageClaimsPerTargetPerHour),
                Window = KeyPackageRules.ClaimPeriod,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _limiter = PartitionedRateLimiter.Create<ClaimPair, ClaimPair>(pair => RateLimitPartition.GetFixedWindowLimiter(pair, _ => options));
        }

        /// <summary>Counts one claim of <paramref name="target"/>'s key packages by <paramref name="claimer"/>; the lease
        /// is not acquired when the pair has used up its hour. Dispose the lease at once.</summary>
        public RateLimitLease AttemptAcquire(AccountId claimer, AccountId target) => _limiter.AttemptAcquire(new ClaimPair(claimer.Value, target.Value));

        public void Dispose() => _limiter.Dispose();

        private readonly record struct ClaimPair(string Claimer, string Target);
    }

    /// <summary>Sealed sends per minute per delivery credential (docs/protocol.md, "Sealed sending"): a sealed send names no
    /// device or account, so besides its address's windows it counts against its credential, one group's epoch shared by
    /// that epoch's members. Keys live only in this node's memory.</summary>
    public sealed class SealedSendLimiter : IDisposable
    {
        private readonly PartitionedRateLimiter<string> _limiter;

        public SealedSendLimiter(IOptions<ParleyServerOptions> parley)
        {
            ArgumentNullException.ThrowIfNull(parley);
            Func<string, FixedWindowRateLimiterOptions> perMinute = PerMinute<string>(parley.Value.SealedSendsPerMinutePerCredential);
            _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, perMinute));
        }

        /// <summary>Counts one sealed send under <paramref name="deliveryKey"/>. Dispose the lease at once.</summary>
        public RateLimitLease AttemptAcquire(ReadOnlySpan<byte> deliveryKey) => _limiter.AttemptAcquire(Convert.ToBase64String(deliveryKey));

        public void Dispose() => _limiter.Dispose();
    }

    /// <summary>The per-device (or, unauthenticated, per-address), per-account and per-address fixed windows every request
    /// counts against: the same limiters for requests through the middleware and for the delivery WebSocket, which is
    /// served ahead of the pipeline and names its device directly.</summary>
    public sealed class RequestLimiter : IDisposable
    {
        private readonly PartitionedRateLimiter<Subject> _chain;

        public RequestLimiter(IOptions<ParleyServerOptions> parley)
        {
            ArgumentNullException.ThrowIfNull(parley);
            ParleyServerOptions o = parley.Value;
            // Partitions are keyed by a small struct over the device or account id or the connection's address, which the
            // request holds anyway, and each policy's options are built once: no key string is made per request, and a
            // partition (kept until it has been idle for 10 s after its window, so not by an idle WebSocket) holds no copy of
            // an id.
            Func<Partition, FixedWindowRateLimiterOptions> perDevice = PerMinute<Partition>(o.RequestsPerMinute);
            Func<Partition, FixedWindowRateLimiterOptions> perAccount = PerMinute<Partition>(o.RequestsPerMinutePerAccount);
            Func<Partition, FixedWindowRateLimiterOptions> perAddress = PerMinute<Partition>(o.RequestsPerMinutePerAddress);
            _chain = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<Subject, Partition>(subject => RateLimitPartition.GetFixedWindowLimiter(
                    subject.Device is not null ? new Partition(Scope.Device, subject.Device) : new Partition(Scope.Ip, IpOf(subject.Context)),
                    perDevice)),
                PartitionedRateLimiter.Create<Subject, Partition>(subject => subject.Account is null
                    ? RateLimitPartition.GetNoLimiter(Unlimited)
                    : RateLimitPartition.GetFixedWindowLimiter(new Partition(Scope.Account, subject.Account), perAccount)),
                PartitionedRateLimiter.Create<Subject, Partition>(
                    subject => RateLimitPartition.GetFixedWindowLimiter(new Partition(Scope.Address, IpOf(subject.Context)), perAddress)));
            ForRequests = _chain.WithTranslatedKey<HttpContext>(
                context => new Subject(context, context.User.FindFirst(DeviceAuthenticationHandler.DeviceClaim)?.Value,
                    context.User.FindFirst(DeviceAuthenticationHandler.AccountClaim)?.Value),
                leaveOpen: true);
        }

        /// <summary>The limiter of the rate-limiting middleware: the ids come from the authenticated user's claims.</summary>
        public PartitionedRateLimiter<HttpContext> ForRequests { get; }

        /// <summary>Counts a request against its device's, account's and address's windows, or, with no device, against its
        /// address's twice, as an unauthenticated request is. A fixed window's lease need not be held: dispose it at once.</summary>
        public RateLimitLease AttemptAcquire(HttpContext context, DeviceId? device, AccountId? account)
            => _chain.AttemptAcquire(new Subject(context, device?.Value, account?.Value));

        public void Dispose()
        {
            ForRequests.Dispose();
            _chain.Dispose();
        }
    }

    private static Func<T, FixedWindowRateLimiterOptions> PerMinute<T>(int permits)
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
    /// string is made for it on every request. Read from the connection feature: <c>HttpContext.Connection</c> would add an
    /// object to every request, and to every open WebSocket for its life.</summary>
    private static object IpOf(HttpContext context) => (object?)context.Features.Get<IHttpConnectionFeature>()?.RemoteIpAddress ?? "unknown";

    /// <summary>What one request is counted as: its connection's address, and its device and account if it has one.</summary>
    private readonly record struct Subject(HttpContext Context, string? Device, string? Account);

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
