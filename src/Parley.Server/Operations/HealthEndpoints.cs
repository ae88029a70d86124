using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Storage;

namespace Parley.Server.Operations;

/// <summary>The liveness and readiness check.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", Check).AllowAnonymous().DisableRateLimiting()
            .WithSummary("Answers 200 when the server can read its database.");
        return app;
    }

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> Check(IStorageEngine database,
        CancellationToken cancellationToken)
        => await database.IsHealthyAsync(cancellationToken)
            ? TypedResults.Ok(new HealthResponse("ok"))
            : Http.Problem.Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "The database cannot be read.");
}
