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
