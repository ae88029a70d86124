using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Parley.Server.Accounts;
using Parley.Server.Http;
using Parley.Server.Moderation;

namespace Parley.Server.Devices;

/// <summary>Authenticates <c>Authorization: Bearer {deviceId}.{token}</c> against the stored hash
/// of an active device, and <c>Authorization: Queue {token}</c> as the anonymous subscriber queue it opens
/// (<see cref="Channels.SubscriberQueue"/>: no account, and only endpoints with the <see cref="MemberPolicy"/> or
/// <see cref="QueuePolicy"/> policy accept it). The token never reaches a log.</summary>
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

    /// <summary>Claim type marking a subscriber queue (whose id the <see cref="DeviceClaim"/> holds).</summary>
    public const string QueueClaim = "parley:queue";

    /// <summary>Policy of endpoints that a device or a subscriber queue may call (its mailbox, group sends, channel views).</summary>
    public const string MemberPolicy = "member";

    /// <summary>Policy of endpoints only a subscriber queue calls (joining a channel).</summary>
    public const string QueuePolicy = "queue";

    // Marks a request whose credential was right but whose account is suspended, so the challenge says so.
    private static readonly object SuspendedItem = new();

    /// <summary>What a request's <c>Authorization</c> header proves.</summary>
    public enum CredentialStatus
    {
        /// <summary>No credential was sent.</summary>
        Missing,

        /// <summary>The header is not <c>Bearer {deviceId}.{token}</c>.</summary>
        Malformed,

        /// <summary>No active device has this id and token (unknown, revoked or wrong).</summary>
        Invalid,

        /// <summary>The credential is right but the device's account is suspended.</summary>
        Suspended,

        /// <summary>The credential is an active device's.</summary>
        Valid,
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        const string queuePrefix = Channels.SubscriberQueue.Scheme + " ";
        if (header is not null && header.StartsWith(queuePrefix, StringComparison.OrdinalIgnoreCase))
        {
            if (!Channels.SubscriberQueue.TryOpen(header.AsSpan(queuePrefix.Length).Trim(), out DeviceId queue))
            {
                return AuthenticateResult.Fail("Malformed queue credential.");
            }
            var queueIdentity = new ClaimsIdentity([new Claim(DeviceClaim, queue.Value), new Claim(QueueClaim, "1")], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(queueIdentity), SchemeName));
        }
        var (status, record) = await CheckAsync(Request.Headers.Authorization, devices, suspended, Context.RequestAborted);
        switch (status)
        {
            case CredentialStatus.Missing:
                return AuthenticateResult.NoResult();
            case CredentialStatus.Malformed:
                return AuthenticateResult.Fail("Malformed device credential.");
            case CredentialStatus.Invalid:
                return AuthenticateResult.Fail("Unknown, revoked or wrong device credential.");
            case CredentialStatus.Suspended:
                Context.Items[SuspendedItem] = true;
                return AuthenticateResult.Fail("The device's account is suspended.");
            default:
                var identity = new ClaimsIdentity(
                    [new Claim(DeviceClaim, record!.Id.Value), new Claim(AccountClaim, record.AccountId.Value)], SchemeName);
                return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }
    }

    /// <summary>Checks <c>Authorization: Bearer {deviceId}.{token}</c> against the stored hash of an active device and the
    /// suspended accounts; the record is returned only when the credential is valid. Shared with the delivery WebSocket,
    /// which authenticates ahead of the pipeline.</summary>
    public static async Task<(CredentialStatus Status, DeviceCredentialRecord? Record)> CheckAsync(string? header, IDeviceStore devices,
        SuspendedAccounts suspended, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(suspended);
        if (string.IsNullOrEmpty(header))
        {
            return (CredentialStatus.Missing, null);
        }
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            || !DeviceCredential.TryParse(header.AsSpan(prefix.Length).Trim(), out DeviceId deviceId, out byte[] token))
        {
            return (CredentialStatus.Malformed, null);
        }
        try
        {
            DeviceCredentialRecord? record = await devices.FindCredentialAsync(deviceId, cancellationToken);
            if (record is null || !DeviceCredential.Matches(token, record.CredentialHash))
            {
                return (CredentialStatus.Invalid, null);
            }
            return suspended.IsSuspended(record.AccountId) ? (CredentialStatus.Suspended, null) : (CredentialStatus.Valid, record);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(token);
        }
    }

    /// <summary>The answer to a right credential of a suspended account.</summary>
    public static ProblemHttpResult SuspendedProblem() => Problem.Forbidden(ProblemCodes.AccountSuspended,
        "The operator suspended this account; its devices can do nothing until it is restored.");

    // A queue where only a device of an account may act, or a device where only a queue may: say which credential is needed.
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => (DevicePrincipal.IsQueue(Context.User)
            ? Problem.Forbidden(ProblemCodes.DeviceRequired, "A channel subscriber queue cannot do this; only a device of an account can.")
            : Problem.Forbidden(ProblemCodes.QueueRequired,
                "Only a channel subscriber queue does this, so that no device is named: send 'Authorization: Queue {token}' (docs/channels.md).")).ExecuteAsync(Context);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        => Context.Items.ContainsKey(SuspendedItem)
            ? SuspendedProblem().ExecuteAsync(Context)
            : base.HandleChallengeAsync(properties);
}

/// <summary>Reads the authenticated device from a request.</summary>
public static class DevicePrincipal
{
    /// <summary>Whether the caller is a subscriber queue rather than a device.</summary>
    public static bool IsQueue(ClaimsPrincipal user) => user?.HasClaim(c => c.Type == DeviceAuthenticationHandler.QueueClaim) ?? false;

    /// <summary>The caller's device id, or its queue id when it is a subscriber queue (endpoints with the member policy).</summary>
    public static DeviceId Sender(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new DeviceId(user.FindFirstValue(DeviceAuthenticationHandler.DeviceClaim)
                            ?? throw new InvalidOperationException("The request is not authenticated as a device or queue."));
    }

    /// <summary>The authenticated device and its account (endpoints that call this require authorization).</summary>
    public static (DeviceId Device, AccountId Account) Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        string device = user.FindFirstValue(DeviceAuthenticationHandler.DeviceClaim)
                        ?? throw new InvalidOperationException("The request is not authenticated as a device.");
        string account = user.FindFirstValue(DeviceAuthenticationHandler.AccountClaim)
                         ?? throw new InvalidOperationException("The request is not authenticated as a device of an account.");
        return (new DeviceId(device), new AccountId(account));
    }
}
