using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Accounts;
using Parley.Server.Delivery;
using Parley.Server.Http;
using Parley.Server.Moderation;

namespace Parley.Server.Devices;

/// <summary>Adding, listing and revoking devices.</summary>
public static class DeviceEndpoints
{
    public static IEndpointRouteBuilder MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/accounts/{username}/devices", Add).AllowAnonymous().RequireRateLimiting(RateLimits.Anonymous)
            .WithSummary("Adds a device; the request is signed by the account identity key.");
        app.MapGet("/v1/devices", List).RequireAuthorization()
            .WithSummary("Lists the devices of the caller's account.");
        app.MapPost("/v1/devices/{deviceId}/revoke", Revoke).RequireAuthorization()
            .WithSummary("Revokes a device of the caller's account; the request is signed by the account identity key.");
        return app;
    }

    private static async Task<Results<Created<AddDeviceResponse>, ProblemHttpResult>> Add(
        string username, AddDeviceRequest request, IAccountStore accounts, IDeviceStore devices, ChallengeIssuer challenges,
        SuspendedAccounts suspended, Microsoft.Extensions.Options.IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
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
        if (DeviceKeyRules.Check(request.Device, name, account.IdentityKey) is { } problem)
        {
            return problem;
        }
        if (request.Challenge is null || request.Signature is null)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The challenge and its signature are required.");
        }
        byte[] proof = AccountSignatures.AddDevice(request.Challenge, name.Value, request.Device.CipherSuite, request.Device.SignatureKey);
        if (!AccountSignatures.Verify(account.IdentityKey, proof, request.Signature))
        {
            return Problem.BadRequest(ProblemCodes.InvalidSignature, "Adding this device is not signed by the account identity key.");
        }
        // A suspended account may do nothing, adding devices included. Checked after the signature, so that only the holder of
        // the identity key learns of the suspension here, and before the challenge is spent, so that nothing changes.
        if (suspended.IsSuspended(account.Id))
        {
            return DeviceAuthenticationHandler.SuspendedProblem();
        }
        if (!await challenges.TryRedeemAsync(request.Challenge, cancellationToken))
        {
            return Problem.BadRequest(ProblemCodes.InvalidChallenge, "The challenge is unknown, used or expired; ask for a new one.");
        }
        var (token, hash) = DeviceCredential.Create();
        var device = new NewDevice(DeviceId.FromSignatureKey(request.Device.SignatureKey), request.Device.CipherSuite,
            request.Device.SignatureKey, request.Device.Certificate, hash);
        return await devices.AddAsync(account.Id, device, options.Value.MaxDevicesPerAccount, cancellationToken) switch
        {
            AddDeviceOutcome.DeviceExists => Problem.Conflict(ProblemCodes.DeviceExists, "A device with this signature key is already registered."),
            AddDeviceOutcome.TooManyDevices => Problem.Conflict(ProblemCodes.TooManyDevices,
                $"An account has at most {options.Value.MaxDevicesPerAccount} devices; revoked ones count too."),
            _ => TypedResults.Created($"/v1/devices/{device.Id.Value}", new AddDeviceResponse(device.Id.Value, $"{device.Id.Value}.{token}")),
        };
    }

    private static async Task<Ok<DeviceListResponse>> List(ClaimsPrincipal user, IDeviceStore devices, CancellationToken cancellationToken)
    {
        var (current, account) = DevicePrincipal.Of(user);
        IReadOnlyList<Device> list = await devices.ListAsync(account, cancellationToken);
        return TypedResults.Ok(new DeviceListResponse(list
            .Select(d => new DeviceListEntry(d.Id.Value, d.CipherSuite, d.SignatureKey, d.Certificate, d.Revoked, d.Id == current))
            .ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        string deviceId, RevokeDeviceRequest request, ClaimsPrincipal user, IAccountStore accounts, IDeviceStore devices,
        ChallengeIssuer challenges, DeviceConnections connections, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (_, accountId) = DevicePrincipal.Of(user);
        if (!DeviceId.TryParse(deviceId, out DeviceId target))
        {
            return Problem.NotFound(ProblemCodes.DeviceNotFound, "There is no such device.");
        }
        Device? device = await devices.FindAsync(target, cancellationToken);
        // Another account's device looks exactly like a missing one.
        if (device is null || device.AccountId != accountId || device.Revoked)
        {
            return Problem.NotFound(ProblemCodes.DeviceNotFound, "Your account has no active device with this id.");
        }
        Account account = (await accounts.FindByIdAsync(accountId, cancellationToken))!;
        if (request.Challenge is null || request.Signature is null)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The challenge and its signature are required.");
        }
        byte[] proof = AccountSignatures.RevokeDevice(request.Challenge, account.Username.Value, target.Value);
        if (!AccountSignatures.Verify(account.IdentityKey, proof, request.Signature))
        {
            return Problem.BadRequest(ProblemCodes.InvalidSignature, "Revoking this device is not signed by the account identity key.");
        }
        if (!await challenges.TryRedeemAsync(request.Challenge, cancellationToken))
        {
            return Problem.BadRequest(ProblemCodes.InvalidChallenge, "The challenge is unknown, used or expired; ask for a new one.");
        }
        if (!await devices.RevokeAsync(accountId, target, cancellationToken))
        {
            return Problem.NotFound(ProblemCodes.DeviceNotFound, "Your account has no active device with this id.");
        }
        connections.Disconnect(target);
        loggers.CreateLogger(typeof(DeviceEndpoints)).LogInformation("A device was revoked");
        return TypedResults.NoContent();
    }
}
