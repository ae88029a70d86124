using Microsoft.AspNetCore.Diagnostics;

namespace Parley.Server.Http;

/// <summary>Turns every error the framework produces (bad JSON, missing route, failed
/// authentication, oversized body, unexpected exception) into problem details with a stable code.</summary>
public static class ErrorHandling
{
    public static IApplicationBuilder UseParleyErrorHandling(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = async context =>
            {
                Exception? error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var result = error is BadHttpRequestException bad
                    ? ProblemForStatus(bad.StatusCode)
                    : Problem.Create(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                        "The server failed; the request may be retried with the same message id.");
                await result.ExecuteAsync(context);
            },
        });
        app.UseStatusCodePages(async status =>
        {
            HttpContext context = status.HttpContext;
            if (context.Response.StatusCode == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }
            await ProblemForStatus(context.Response.StatusCode).ExecuteAsync(context);
        });
        return app;
    }

    private static IResult ProblemForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Problem.Create(status, ProblemCodes.Unauthenticated,
            "Send 'Authorization: Bearer {deviceId}.{token}' with an active device's credential."),
        StatusCodes.Status403Forbidden => Problem.Create(status, ProblemCodes.Forbidden, "This device may not do that."),
        StatusCodes.Status404NotFound => Problem.Create(status, ProblemCodes.NotFound, "There is no such endpoint; see /openapi/v1.json."),
        StatusCodes.Status405MethodNotAllowed => Problem.Create(status, ProblemCodes.MethodNotAllowed, "This endpoint does not take that method."),
        StatusCodes.Status413PayloadTooLarge => Problem.Create(status, ProblemCodes.RequestTooLarge, "The request body is too large."),
        StatusCodes.Status414UriTooLong => Problem.Create(status, ProblemCodes.RequestTargetTooLong, "The request line is too long."),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => Problem.Create(status, ProblemCodes.HeadersTooLarge, "The request headers are too large."),
        StatusCodes.Status415UnsupportedMediaType => Problem.Create(status, ProblemCodes.UnsupportedMediaType,
            "Send JSON with 'Content-Type: application/json'."),
        StatusCodes.Status429TooManyRequests => Problem.Create(status, ProblemCodes.RateLimited, "Too many requests; slow down."),
        >= 500 => Problem.Create(status, ProblemCodes.InternalError, "The server failed."),
        _ => Problem.Create(status, ProblemCodes.MalformedRequest, "The request is malformed: check the JSON against docs/server-protocol.md."),
    };
}
