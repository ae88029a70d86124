using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Parley.Server.Http;

namespace Parley.Server;

/// <summary>Refuses request bodies over the configured size with 413 "request_too_large" before
/// reading them, whatever the host (Kestrel enforces the same limit on chunked bodies). An endpoint
/// may carry its own limit as <see cref="IRequestSizeLimitMetadata"/> (blob chunks do).</summary>
public static class RequestLimits
{
    public static IApplicationBuilder UseParleyRequestLimits(this IApplicationBuilder app)
        => app.Use(async (context, next) =>
        {
            long? limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { } own
                ? own.MaxRequestBodySize
                : context.RequestServices.GetRequiredService<IOptions<ParleyServerOptions>>().Value.MaxRequestBodyBytes;
            if (context.Request.ContentLength > limit)
            {
                await Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemCodes.RequestTooLarge,
                    $"A request body may have at most {limit} bytes.").ExecuteAsync(context);
                return;
            }
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }
            await next(context);
        });
}

/// <summary>Refuses a request line over <see cref="MaxRequestLineBytes"/> with 414 "request_target_too_long" and request
/// headers over <see cref="MaxHeaderBytes"/> or <see cref="MaxHeaderCount"/> with 431 "headers_too_large", as problem
/// details. Kestrel answers such requests itself with an empty body before any middleware runs, so Kestrel's own limits
/// are set to twice these (<see cref="ConfigureKestrel"/>) and these are checked here instead; only a request beyond
/// Kestrel's doubled limits, or one that is not HTTP at all, still gets Kestrel's bare status.</summary>
public static class RequestHeadLimits
{
    /// <summary>Longest request line (method, target and version), in bytes: Kestrel's default.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>Most bytes of request headers (names, values and their separators): Kestrel's default.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Most request headers: Kestrel's default.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Raises Kestrel's own limits above this middleware's, so that this middleware is the one that answers.</summary>
    public static void ConfigureKestrel(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.MaxRequestLineSize = 2 * MaxRequestLineBytes;
        limits.MaxRequestHeadersTotalSize = 2 * MaxHeaderBytes;
        limits.MaxRequestHeaderCount = 2 * MaxHeaderCount;
    }

    /// <summary>Answers an oversized request line or header set; passes anything else on without an async state of its own,
    /// so an open WebSocket behind it keeps nothing of this middleware.</summary>
    public static IApplicationBuilder UseParleyRequestHeadLimits(this IApplicationBuilder app)
        => app.Use(next => context => Refusal(context) is { } refusal ? refusal.ExecuteAsync(context) : next(context));

    private static IResult? Refusal(HttpContext context)
    {
        HttpRequest request = context.Request;
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";
        // "METHOD SP target SP HTTP/x.y CRLF", as Kestrel counts it.
        if (request.Method.Length + target.Length + request.Protocol.Length + 4 > MaxRequestLineBytes)
        {
            return Problem.Create(StatusCodes.Status414UriTooLong, ProblemCodes.RequestTargetTooLong,
                $"A request line has at most {MaxRequestLineBytes} bytes.");
        }
        int count = 0;
        long bytes = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (string? value in values)
            {
                // "name: value CRLF"
                count++;
                bytes += name.Length + (value?.Length ?? 0) + 4;
            }
        }
        return count > MaxHeaderCount || bytes > MaxHeaderBytes
            ? Problem.Create(StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemCodes.HeadersTooLarge,
                $"A request has at most {MaxHeaderCount} headers and {MaxHeaderBytes} bytes of them.")
            : null;
    }
}
