// The page's own files (style, small scripts, the framework's blazor.web.js), served from this assembly's resources.
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Parley.Web.Assets;

/// <summary>Serves the embedded files under <c>/assets/</c> and <c>/_framework/blazor.web.js</c>.</summary>
internal static class EmbeddedAssets
{
    private static readonly Assembly Self = typeof(EmbeddedAssets).Assembly;

    public static void MapEmbeddedAssets(this WebApplication app)
    {
        app.MapGet("/_framework/blazor.web.js", (HttpContext context) => Serve(context, "blazor.web.js"));
        app.MapGet("/assets/{name}", (HttpContext context, string name) => Serve(context, name));
    }

    private static IResult Serve(HttpContext context, string name)
    {
        var stream = Self.GetManifestResourceStream("assets/" + name);
        if (stream is null)
        {
            return Results.NotFound();
        }
        context.Response.Headers.CacheControl = "no-cache";
        string type = Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => "application/octet-stream",
        };
        return Results.Stream(stream, type);
    }
}
