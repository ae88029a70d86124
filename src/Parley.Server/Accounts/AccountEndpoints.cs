using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Content;
using Parley.Server.Devices;
using Parley.Server.Http;
using Parley.Server.KeyPackages;
using Parley.Server.Moderation;

namespace Parley.Server.Accounts;

/// <summary>Challenges, registration and the directory.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/challenges", IssueChallenge).AllowAnonymous().RequireRateLimiting(RateLimits.Anonymous)
            .WithSummary("Issues a single-use challenge for an account-key signature.");
        app.MapPost("/v1/accounts", Register).AllowAnonymous().RequireRateLimiting(RateLimits.Anonymous)
            .WithSummary("Registers a username, its identity key and the first device.");
        app.MapGet("/v1/accounts/{username}", Lookup).RequireAuthorization()
            .WithSummary("Looks up a user's identity key and active devices.");
        return app;
    }

    private static async Task<Ok<ChallengeResponse>> IssueChallenge(ChallengeIssuer challenges, CancellationToken cancellationToken)
    {
        var (challenge, expiresAt) = await challenges.IssueAsync(cancellationToken);
        return TypedResults.Ok(new ChallengeResponse(challenge, expiresAt));
    }

    private static async Task<Results<Created<RegisterResponse>, ProblemHttpResult>> Register(
        RegisterRequest request, IAccountStore accounts, ChallengeIssuer challenges, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (!Username.TryParse(request.Username, out Username username))
        {
            return Problem.BadRequest(ProblemCodes.InvalidUsername, $"A username has {UsernameProfile.Rule}.");
        }
        if (request.IdentityKey is not { Length: AccountSignatures.IdentityKeyLength })
        {
            return Problem.BadRequest(ProblemCodes.InvalidKey, "The identity key must be a 32-byte Ed25519 public key.");
        }
        if (DeviceKeyRules.Check(request.Device, username, request.IdentityKey) is { } problem)
        {
            return problem;
        }
        if (request.Challenge is null || request.Signature is null)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The challenge and its signature are required.");
        }
        byte[] proof = AccountSignatures.Register(request.Challenge, username.Value, request.IdentityKey,
            request.Device.CipherSuite, request.Device.SignatureKey);
        if (!AccountSignatures.Verify(request.IdentityKey, proof, request.Signature))
        {
            return Problem.BadRequest(ProblemCodes.InvalidSignature, "The registration is not signed by the identity key.");
        }
        if (!await challenges.TryRedeemAsync(request.Challenge, cancellationToken))
        {
            return Problem.BadRequest(ProblemCodes.InvalidChallenge, "The challenge is unknown, used or expired; ask for a new one.");
        }

        var (token, hash) = DeviceCredential.Create();
        var account = new Account(AccountId.New(), username, request.IdentityKey);
        var device = new NewDevice(DeviceId.FromSignatureKey(request.Device.SignatureKey), request.Device.CipherSuite,
            request.Device.SignatureKey, request.Device.Certificate, hash);
        switch (await accounts.CreateAsync(account, device, cancellationToken))
        {
            case RegistrationOutcome.UsernameTaken:
                return Problem.Conflict(ProblemCodes.UsernameTaken, $"The username {username} is taken; choose another.");
            case RegistrationOutcome.UsernameConfusable:
                return Problem.Conflict(ProblemCodes.UsernameConfusable,
                    $"The username {username} looks like one already registered ('0' reads as 'o', '1' as 'l', 'm' as \"rn\"); choose another.");
            case RegistrationOutcome.DeviceExists:
                return Problem.Conflict(ProblemCodes.DeviceExists, "A device with this signature key is already registered.");
        }
        loggers.CreateLogger(typeof(AccountEndpoints)).LogInformation("An account registered");
        return TypedResults.Created($"/v1/accounts/{username}",
            new RegisterResponse(account.Id.Value, username.Value, device.Id.Value, $"{device.Id.Value}.{token}"));
    }

    private static async Task<Results<Ok<DirectoryEntry>, ProblemHttpResult>> Lookup(
        string username, IAccountStore accounts, IDeviceStore devices, IKeyPackageStore keyPackages, SuspendedAccounts suspended,
        TimeProvider time, CancellationToken cancellationToken)
    {
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
        IReadOnlyList<Device> list = await devices.ListAsync(account.Id, cancellationToken);
        var suites = await keyPackages.SuitesAsync(account.Id, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new DirectoryEntry(name.Value, account.IdentityKey,
            list.Where(d => !d.Revoked).Select(d => new DirectoryDevice(d.Id.Value, d.CipherSuite, d.SignatureKey, d.Certificate,
                suites.GetValueOrDefault(d.Id) ?? [])).ToList()));
    }
}
