using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Parley.Server.Accounts;
using Parley.Server.Http;
using Parley.Server.Moderation;

namespace Parley.Server.Devices;

/// <summary>Authenticates <c>Authorization: Bearer {deviceId}.{token}</c> against the stored hash
/// of an active device. The token never reaches a log.</summary>
public sealed class DeviceAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDeviceStore devices,
    SuspendedAccounts suspended)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "Device";

    /// <summary>Claim type holding the device id.</summary>
    public const string DeviceClaim = "parley:device";

    /// <summary>Claim type holding the account id.</summary>
    public const string AccountClaim = "parley:account";

    // Marks a request whose credential was right but whose account is suspended, so the challenge says so.
    private static readonly object SuspendedItem = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            || !DeviceCredential.TryParse(header.AsSpan(prefix.Length).Trim(), out DeviceId deviceId, out byte[] token))
        {
            return AuthenticateResult.Fail("Malformed device credential.");
        }
        try
        {
            DeviceCredentialRecord? record = await devices.FindCredentialAsync(deviceId, Context.RequestAborted);
            if (record is null || !DeviceCredential.Matches(token, record.CredentialHash))
            {
                return AuthenticateResult.Fail("Unknown, revoked or wrong device credential.");
            }
            if (suspended.IsSuspended(record.AccountId))
            {
                Context.Items[SuspendedItem] = true;
                return AuthenticateResult.Fail("The device's account is suspended.");
            }
            var identity = new ClaimsIdentity(
                [new Claim(DeviceClaim, record.Id.Value), new Claim(AccountClaim, record.AccountId.Value)], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(token);
        }
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        => Context.Items.ContainsKey(SuspendedItem)
            ? Problem.Forbidden(ProblemCodes.AccountSuspended,
                "The operator suspended this account; its devices can do nothing until it is restored.").ExecuteAsync(Context)
            : base.HandleChallengeAsync(properties);
}

/// <summary>Reads the authenticated device from a request.</summary>
public static class DevicePrincipal
{
    /// <summary>The authenticated device and its account (endpoints that call this require authorization).</summary>
    public static (DeviceId Device, AccountId Account) Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        string device = user.FindFirstValue(DeviceAuthenticationHandler.DeviceClaim)
                        ?? throw new InvalidOperationException("The request is not authenticated as a device.");
        string account = user.FindFirstValue(DeviceAuthenticationHandler.AccountClaim)!;
        return (new DeviceId(device), new AccountId(account));
    }
}
