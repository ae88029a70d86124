// Every request passes here first: Host, then token or cookie, then (for the live connection) Origin.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Parley.Web.Access;

/// <summary>Refuses what is not this machine's browser with the app's session, and sets the security headers.</summary>
internal static class LocalAccessMiddleware
{
    /// <summary>The path of the live connection (Blazor's SignalR hub).</summary>
    public const string LivePath = "/_blazor";

    public static void UseLocalAccess(this WebApplication app, LocalAccess access)
    {
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var response = context.Response;
            response.Headers.ContentSecurityPolicy = LocalAccess.ContentSecurityPolicy;
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
            response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
            response.Headers.CacheControl = "no-store";

            if (!access.IsOwnHost(request.Host.Value))
            {
                // DNS rebinding: a foreign name that resolves to 127.0.0.1.
                await Refuse(response, StatusCodes.Status421MisdirectedRequest, "This address is not Parley's; open the address `parley web` printed.");
                return;
            }
            if (request.Path == "/" && request.Query.TryGetValue("token", out var token))
            {
                string? session = access.Redeem(token.ToString());
                if (session is null)
                {
                    await Refuse(response, StatusCodes.Status401Unauthorized,
                        "This link was used already; start `parley web` again for a new one.");
                    return;
                }
                response.Cookies.Append(access.CookieName, session, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Path = "/",
                    IsEssential = true,
                });
                // Drop the token from the address bar and the history.
                response.Redirect("/");
                return;
            }
            if (!access.HasSession(request))
            {
                await Refuse(response, StatusCodes.Status401Unauthorized, "Open the address `parley web` printed (it carries a one-time token).");
                return;
            }
            // Browsers send Origin on every WebSocket and cross-origin request; only same-origin GETs go without.
            string? origin = request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null;
            bool needsOrigin = context.WebSockets.IsWebSocketRequest || !HttpMethods.IsGet(request.Method);
            if (request.Path.StartsWithSegments(LivePath) && (origin is not null || needsOrigin) && !access.IsOwnOrigin(origin))
            {
                await Refuse(response, StatusCodes.Status403Forbidden, "The live connection is only for Parley's own page.");
                return;
            }
            await next(context);
        });
    }

    private static Task Refuse(HttpResponse response, int status, string text)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(text + "\n");
    }
}
