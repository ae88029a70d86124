using Microsoft.AspNetCore.Http.HttpResults;

namespace Parley.Server.Http;

/// <summary>RFC 9457 problem details with a stable machine-readable <c>code</c> extension; the
/// codes are listed in docs/server-protocol.md and never change meaning.</summary>
public static class Problem
{
    /// <summary>Base of the problem type URIs.</summary>
    public const string TypeBase = "https://parley.invalid/problems/";

    /// <summary>A problem result with status, stable code, and a sentence that tells what to do.</summary>
    public static ProblemHttpResult Create(int status, string code, string detail, IDictionary<string, object?>? extra = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                extensions[key] = value;
            }
        }
        return TypedResults.Problem(detail: detail, statusCode: status, title: TitleOf(code), type: TypeBase + code,
            extensions: extensions);
    }

    public static ProblemHttpResult BadRequest(string code, string detail) => Create(StatusCodes.Status400BadRequest, code, detail);

    public static ProblemHttpResult Forbidden(string code, string detail) => Create(StatusCodes.Status403Forbidden, code, detail);

    public static ProblemHttpResult NotFound(string code, string detail) => Create(StatusCodes.Status404NotFound, code, detail);

    public static ProblemHttpResult Conflict(string code, string detail) => Create(StatusCodes.Status409Conflict, code, detail);

    public static ProblemHttpResult Unprocessable(string code, string detail) => Create(StatusCodes.Status422UnprocessableEntity, code, detail);

    /// <summary>A short title from the code: "stale_epoch" becomes "Stale epoch".</summary>
    public static string TitleOf(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        string words = code.Replace('_', ' ');
        return words.Length == 0 ? words : char.ToUpperInvariant(words[0]) + words[1..];
    }
}
