// Parley server protocol §"Operator authentication" (docs/server-protocol.md).
using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Parley.Content;
using Parley.Server.Http;

namespace Parley.Server.Moderation;

/// <summary>Authenticates <c>Authorization: Operator {unixSeconds}.{nonce}.{signature}</c>: a fresh timestamp,
/// an unused nonce and an Ed25519 signature by the configured operator key over the whole request
/// (<see cref="OperatorSignature"/>). Moderation endpoints require the <see cref="PolicyName"/> policy.</summary>
public sealed class OperatorAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OperatorKey operatorKey,
    OperatorNonces nonces,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The authentication scheme name.</summary>
    public const string SchemeName = "Operator";

    /// <summary>The authorization policy every <c>/v1/admin</c> endpoint requires.</summary>
    public const string PolicyName = "Operator";

    /// <summary>Claim present on an authenticated operator request.</summary>
    public const string OperatorClaim = "parley:operator";

    /// <summary>Largest accepted difference between the request's timestamp and the server clock.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(300);

    private const int SignatureLength = 64;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        byte[]? key = operatorKey.PublicKey;
        string? header = Request.Headers.Authorization;
        const string prefix = "Operator ";
        if (key is null || string.IsNullOrEmpty(header) || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        string[] parts = header[prefix.Length..].Trim().Split('.');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long unixSeconds)
            || !TryDecode(parts[1], out byte[] nonce) || nonce.Length != OperatorSignature.NonceLength
            || !TryDecode(parts[2], out byte[] signature) || signature.Length != SignatureLength)
        {
            return AuthenticateResult.Fail("Malformed operator credential.");
        }
        DateTimeOffset now = time.GetUtcNow();
        if (Math.Abs(now.ToUnixTimeSeconds() - unixSeconds) > (long)MaxClockSkew.TotalSeconds)
        {
            return AuthenticateResult.Fail("Operator request timestamp is outside the allowed clock skew.");
        }

        // The signature covers the body, so read it here and rewind it for the endpoint.
        Request.EnableBuffering();
        using var body = new MemoryStream();
        await Request.Body.CopyToAsync(body, Context.RequestAborted);
        Request.Body.Position = 0;

        byte[] message = OperatorRequestStatement.Create(Request.Method, UriHelper.GetEncodedPathAndQuery(Request), unixSeconds,
            parts[1], body.GetBuffer().AsSpan(0, (int)body.Length));
        if (!OperatorSignature.Verify(key, message, signature))
        {
            return AuthenticateResult.Fail("Wrong operator signature.");
        }
        // Only a correctly signed request spends its nonce, so forgeries cannot burn the operator's nonces.
        if (!await nonces.TryUseAsync(parts[1], now, Context.RequestAborted))
        {
            return AuthenticateResult.Fail("Replayed operator nonce.");
        }
        var identity = new ClaimsIdentity([new Claim(OperatorClaim, "operator")], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (operatorKey.PublicKey is null)
        {
            await Problem.Forbidden(ProblemCodes.OperatorDisabled,
                "This server has no operator key; start it with --Parley:OperatorKey to enable moderation.").ExecuteAsync(Context);
            return;
        }
        Response.Headers.WWWAuthenticate = SchemeName;
        await Problem.Create(StatusCodes.Status401Unauthorized, ProblemCodes.OperatorUnauthenticated,
            "Sign the request with the operator key: 'Authorization: Operator {unixSeconds}.{nonce}.{signature}', "
            + "a fresh nonce and a clock within 5 minutes of the server's.").ExecuteAsync(Context);
    }

    private static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length > 128)
        {
            return false;
        }
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>Registration of operator authentication and its policy.</summary>
public static class OperatorRegistration
{
    /// <summary>Adds the operator key, nonce cache, <see cref="OperatorAuthentication"/> scheme and the "Operator" policy.</summary>
    public static IServiceCollection AddParleyOperator(this IServiceCollection services)
    {
        services.AddSingleton<OperatorKey>();
        services.AddSingleton<OperatorNonces>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, OperatorAuthentication>(OperatorAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(OperatorAuthentication.PolicyName, policy => policy
            .AddAuthenticationSchemes(OperatorAuthentication.SchemeName)
            .RequireClaim(OperatorAuthentication.OperatorClaim));
        return services;
    }
}
