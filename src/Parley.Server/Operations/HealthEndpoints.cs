using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Storage.Sqlite;

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

    private static Results<Ok<HealthResponse>, ProblemHttpResult> Check(SqliteDatabase database)
    {
        try
        {
            using var connection = database.OpenRead();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return TypedResults.Ok(new HealthResponse("ok"));
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return Http.Problem.Create(StatusCodes.Status503ServiceUnavailable, "unavailable", "The database cannot be read.");
        }
    }
}
