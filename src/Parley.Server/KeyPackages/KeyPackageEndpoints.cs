using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using System.Threading.RateLimiting;
using Parley.Server.Accounts;
using Parley.Server.Blocking;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.Moderation;

namespace Parley.Server.KeyPackages;

/// <summary>Uploading, counting and claiming key packages.</summary>
public static class KeyPackageEndpoints
{
    public static IEndpointRouteBuilder MapKeyPackageEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/keypackages", Upload).RequireAuthorization()
            .WithSummary("Uploads a batch of one-time key packages and optionally the last-resort package.");
        app.MapGet("/v1/keypackages/count", Count).RequireAuthorization()
            .WithSummary("Counts the caller's device's remaining key packages of one cipher suite (?suite=, default 1).");
        app.MapPost("/v1/accounts/{username}/keypackages/claim", Claim).RequireAuthorization()
            .WithSummary("Takes one key package of one cipher suite (?suite=, default 1) for every device of a user.");
        return app;
    }

    private static async Task<Results<Ok<KeyPackageCountResponse>, ProblemHttpResult>> Upload(
        UploadKeyPackagesRequest request, ClaimsPrincipal user, IDeviceStore devices, IKeyPackageStore keyPackages,
        TimeProvider time, IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
    {
        var (deviceId, _) = DevicePrincipal.Of(user);
        Device device = (await devices.FindAsync(deviceId, cancellationToken))!;
        IReadOnlyList<byte[]> batch = request.KeyPackages ?? [];
        if (batch.Count == 0 && request.LastResort is null)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "Send at least one key package or a last-resort package.");
        }
        if (batch.Count > options.Value.MaxKeyPackagesPerUpload)
        {
            return Problem.BadRequest(ProblemCodes.TooManyKeyPackages,
                $"Upload at most {options.Value.MaxKeyPackagesPerUpload} key packages at a time.");
        }
        DateTimeOffset now = time.GetUtcNow();
        var valid = new List<StoredKeyPackage>(batch.Count + 1);
        for (int i = 0; i < batch.Count; i++)
        {
            var (package, error) = KeyPackageRules.Validate(batch[i], device, now, lastResort: false);
            if (package is null)
            {
                return Problem.Unprocessable(ProblemCodes.InvalidKeyPackage, $"Key package {i}: {error}");
            }
            valid.Add(package);
        }
        StoredKeyPackage? lastResort = null;
        if (request.LastResort is not null)
        {
            (lastResort, string? error) = KeyPackageRules.Validate(request.LastResort, device, now, lastResort: true);
            if (lastResort is null)
            {
                return Problem.Unprocessable(ProblemCodes.InvalidKeyPackage, $"Last-resort key package: {error}");
            }
        }
        // One suite a batch, so the count in the answer is the count of the packages just sent.
        ushort suite = (lastResort ?? valid[0]).CipherSuite;
        if (valid.Any(p => p.CipherSuite != suite))
        {
            return Problem.Unprocessable(ProblemCodes.InvalidKeyPackage, "The key packages of one upload must share one cipher suite; upload each suite's apart.");
        }
        if (!await keyPackages.AddAsync(deviceId, valid, lastResort, options.Value.MaxKeyPackagesPerDevice, cancellationToken))
        {
            return Problem.Conflict(ProblemCodes.TooManyKeyPackages,
                $"A device keeps at most {options.Value.MaxKeyPackagesPerDevice} key packages a cipher suite; upload more when the count falls.");
        }
        KeyPackageCount count = await keyPackages.CountAsync(deviceId, suite, now, cancellationToken);
        return TypedResults.Ok(new KeyPackageCountResponse(count.OneTime, count.HasLastResort));
    }

    private static async Task<Results<Ok<KeyPackageCountResponse>, ProblemHttpResult>> Count(string? suite, ClaimsPrincipal user,
        IKeyPackageStore keyPackages, TimeProvider time, CancellationToken cancellationToken)
    {
        var (deviceId, _) = DevicePrincipal.Of(user);
        if (!KeyPackageRules.TryParseSuite(suite, out ushort cipherSuite, out string? error))
        {
            return Problem.BadRequest(ProblemCodes.UnsupportedCipherSuite, error);
        }
        KeyPackageCount count = await keyPackages.CountAsync(deviceId, cipherSuite, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new KeyPackageCountResponse(count.OneTime, count.HasLastResort));
    }

    private static async Task<Results<Ok<ClaimKeyPackagesResponse>, ProblemHttpResult>> Claim(
        string username, string? suite, ClaimsPrincipal user, HttpContext context, IAccountStore accounts, IKeyPackageStore keyPackages,
        IBlockStore blocks, RateLimits.KeyPackageClaimLimiter limiter, SuspendedAccounts suspended, TimeProvider time,
        IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
    {
        var (deviceId, claimer) = DevicePrincipal.Of(user);
        if (!KeyPackageRules.TryParseSuite(suite, out ushort cipherSuite, out string? suiteError))
        {
            return Problem.BadRequest(ProblemCodes.UnsupportedCipherSuite, suiteError);
        }
        if (!Username.TryParse(username, out Username name))
        {
            return Problem.BadRequest(ProblemCodes.InvalidUsername, "That is not a valid username.");
        }
        Account? account = await accounts.FindByUsernameAsync(name, cancellationToken);
        if (account is null)
        {
            return Problem.NotFound(ProblemCodes.AccountNotFound, $"There is no user called {name}.");
        }
        if (suspended.IsSuspended(account.Id))
        {
            return Problem.NotFound(ProblemCodes.AccountSuspended, $"{name}'s account is suspended by the operator.");
        }
        DateTimeOffset now = time.GetUtcNow();
        // A device claiming its own account's packages (to add its other devices) drains nothing of anyone else's.
        bool takeOneTime = true;
        ClaimWindow window = default;
        if (claimer != account.Id)
        {
            // The per-pair limit comes first and counts a blocked claimer's claims like anyone's, so that neither the
            // answer nor when the limit starts refusing tells a blocked claimer that it is blocked.
            using (RateLimitLease lease = limiter.AttemptAcquire(claimer, account.Id))
            {
                if (!lease.IsAcquired)
                {
                    int seconds = RateLimits.SetRetryAfter(context, RateLimits.RetryAfterOf(lease));
                    return Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                        $"You have claimed {name}'s key packages {options.Value.KeyPackageClaimsPerTargetPerHour} times this hour; retry in {seconds} seconds.");
                }
            }
            if (await blocks.BlocksAsync(account.Id, claimer, cancellationToken))
            {
                return NoKeyPackages(name);
            }
            window = await keyPackages.CountClaimAsync(account.Id, now, KeyPackageRules.ClaimPeriod, cancellationToken);
            takeOneTime = window.Claims <= options.Value.OneTimeKeyPackageClaimsPerHour;
        }
        IReadOnlyList<ClaimedKeyPackage> claimed = await keyPackages.ClaimAsync(account.Id, deviceId, cipherSuite, now, takeOneTime, cancellationToken);
        if (claimed.Count == 0 && !takeOneTime)
        {
            int seconds = RateLimits.SetRetryAfter(context, window.Ends - now);
            return Problem.Create(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                $"{name}'s one-time key packages have been claimed as often as an hour allows and {name} has no last-resort package; retry in {seconds} seconds.");
        }
        if (claimed.Count == 0)
        {
            return NoKeyPackages(name);
        }
        return TypedResults.Ok(new ClaimKeyPackagesResponse(name.Value,
            claimed.Select(c => new ClaimedKeyPackageEntry(c.DeviceId.Value, c.Data, c.LastResort)).ToList()));
    }

    /// <summary>The answer when no device of <paramref name="name"/> has a package to hand out, and, word for word, the
    /// answer to an account that <paramref name="name"/> blocks.</summary>
    private static ProblemHttpResult NoKeyPackages(Username name)
        => Problem.NotFound(ProblemCodes.NoKeyPackages, $"{name} has no devices with key packages left; ask {name} to open Parley once.");
}
