// Wiring of the interop server: the loopback HTTP/2 endpoint, gRPC with error translation, and the
// registry of group states.
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Parley.Mls.Interop;

/// <summary>Registers the interop server's services and its single Kestrel endpoint.</summary>
public static class InteropHost
{
    /// <summary>Reads the required <c>--port N</c> option (0-65535; 0 picks a free port, which the server
    /// logs as "Now listening on: http://127.0.0.1:N"). On failure gives one sentence saying what to do.</summary>
    public static bool TryReadPort(IConfiguration configuration, out int port, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? text = configuration["port"];
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port is >= 0 and <= 65535)
        {
            problem = null;
            return true;
        }
        problem = text is null
            ? "The interop server needs a port: run it with --port N (0-65535, 0 for any free port)."
            : $"'{text}' is not a port: give --port a number from 0 to 65535.";
        return false;
    }

    /// <summary>Serves gRPC over cleartext HTTP/2 on 127.0.0.1:<paramref name="port"/> only.</summary>
    public static WebApplicationBuilder AddMlsInterop(this WebApplicationBuilder builder, int port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorInterceptor>();
            grpc.MaxReceiveMessageSize = 64 * 1024 * 1024;
            grpc.MaxSendMessageSize = 64 * 1024 * 1024;
        });
        builder.Services.AddSingleton<StateRegistry>();
        return builder;
    }
}
