// Why checks before the host starts: what goes wrong at start (a --data that is a file, a port another process holds, a
// certificate that does not open) otherwise surfaces deep inside Kestrel or the storage engine, as a logged failure and an
// exception with its stack, about a hundred lines for a busy port. Each check here names the cause and what to do in one
// sentence, and stops the server before it has opened anything.
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Parley.Server.Storage;

namespace Parley.Server.Operations;

/// <summary>A reason the server cannot start, as one sentence that says what to do; <c>parley serve</c> prints it alone
/// and exits non-zero.</summary>
public sealed class ServerStartupException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>Every check the server makes before it starts: the data and secrets folders, the addresses it listens on
/// (the public ones and <see cref="ParleyServerOptions.MetricsUrl"/>), and the TLS certificates Kestrel is given.</summary>
public static class StartupChecks
{
    /// <summary>Runs every check against <paramref name="configuration"/>; throws <see cref="ServerStartupException"/> at
    /// the first that fails. Creates the data and secrets folders (0700) when they are missing.</summary>
    public static void Run(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(ParleyServerOptions.Section).Get<ParleyServerOptions>() ?? new ParleyServerOptions();
        Folder("data folder", options.DataDirectory, "--data");
        try
        {
            options.TrustedProxyAddresses();
        }
        catch (FormatException e)
        {
            throw new ServerStartupException(e.Message, e);
        }
        if (string.IsNullOrWhiteSpace(options.Postgres) && string.IsNullOrWhiteSpace(options.FrankingKey))
        {
            Folder("secrets folder", options.SecretsDirectoryOrDefault(), $"{ParleyServerOptions.Section}:{nameof(ParleyServerOptions.SecretsDirectory)}");
        }
        string? metricsUrl = MetricsEndpoint.UrlOf(configuration);
        string[] urls = (configuration[WebHostDefaults.ServerUrlsKey] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string url in urls.Where(url => url != metricsUrl))
        {
            Address(url, "--urls");
        }
        if (metricsUrl is not null)
        {
            Metrics(metricsUrl, urls.Where(url => url != metricsUrl)
                .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Where(e => e.Key != "ParleyMetrics").Select(e => e["Url"]).OfType<string>()));
        }
        foreach (IConfigurationSection endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren().Where(e => e.Key != "ParleyMetrics"))
        {
            if (endpoint["Url"] is { } url)
            {
                Address(url, $"Kestrel:Endpoints:{endpoint.Key}:Url");
            }
            Certificate(endpoint.GetSection("Certificate"), $"Kestrel:Endpoints:{endpoint.Key}:Certificate");
        }
        Certificate(configuration.GetSection("Kestrel:Certificates:Default"), "Kestrel:Certificates:Default");
    }

    /// <summary>The one sentence for an exception Kestrel throws when it cannot bind despite the checks (a port taken
    /// between the check and the bind), or null when <paramref name="exception"/> is something else.</summary>
    public static ServerStartupException? Explain(Exception exception) => exception switch
    {
        IOException { InnerException: AddressInUseException } io => new ServerStartupException(
            $"{io.Message.TrimEnd('.')}: another process holds that port; stop it or choose another port.", exception),
        _ => null,
    };

    private static void Folder(string what, string path, string setting)
    {
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new ServerStartupException($"The {what} {full} is a file, not a folder; give {setting} a folder (it is created if missing).");
        }
        try
        {
            DataFolder.Create(full);
            string probe = Path.Combine(full, $".parley-write-check-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ServerStartupException(
                $"The {what} {full} cannot be created or written by this user ({e.Message.TrimEnd('.')}); give the server's user that folder or choose another with {setting}.", e);
        }
    }

    private static void Metrics(string url, IEnumerable<string> publicUrls)
    {
        const string Setting = $"{ParleyServerOptions.Section}:{nameof(ParleyServerOptions.MetricsUrl)}";
        int port = Parse(url, Setting).Port;
        if (port == 0)
        {
            throw new ServerStartupException($"{Setting} {url} needs a fixed port (requests are told apart by it); give one like http://127.0.0.1:9464.");
        }
        if (publicUrls.Any(publicUrl => Parse(publicUrl, "--urls").Port == port))
        {
            throw new ServerStartupException($"{Setting} {url} has the port of the public address; give metrics a port of their own, like http://127.0.0.1:9464.");
        }
        Address(url, Setting);
    }

    private static BindingAddress Parse(string url, string setting)
    {
        try
        {
            return BindingAddress.Parse(url);
        }
        catch (FormatException e)
        {
            throw new ServerStartupException($"'{url}' ({setting}) is not an address to listen on; give one like http://127.0.0.1:8080.", e);
        }
    }

    private static void Address(string url, string setting)
    {
        BindingAddress address = Parse(url, setting);
        if (address.IsUnixPipe || address.Port == 0)
        {
            return;
        }
        foreach (IPAddress ip in Addresses(address.Host))
        {
            using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (ip.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = ip.Equals(IPAddress.IPv6Any);
                }
                socket.Bind(new IPEndPoint(ip, address.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new ServerStartupException(
                    $"Port {address.Port} on {address.Host} ({setting} {url}) is in use by another process; stop that process or choose another port.", e);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
            {
                throw new ServerStartupException(
                    $"This user may not listen on port {address.Port} ({setting} {url}); choose a port above 1023 behind a reverse proxy, or grant CAP_NET_BIND_SERVICE (docs/self-hosting.md).", e);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                throw new ServerStartupException($"{address.Host} ({setting} {url}) is not an address of this machine; listen on one of its own addresses or 0.0.0.0.", e);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressFamilyNotSupported && ip.Equals(IPAddress.IPv6Loopback))
            {
                // "localhost" on a machine without IPv6: Kestrel listens on 127.0.0.1 only.
            }
        }
    }

    // Where Kestrel listens for a host name: localhost on both loopbacks, an IP literal on itself, anything else (*, +, a
    // name) on every address.
    private static IEnumerable<IPAddress> Addresses(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip))
        {
            return [ip];
        }
        return [Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any];
    }

    private static void Certificate(IConfigurationSection certificate, string setting)
    {
        string? path = certificate["Path"];
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }
        string? keyPath = certificate["KeyPath"];
        foreach (string file in keyPath is null ? [path] : new[] { path, keyPath })
        {
            if (!File.Exists(file))
            {
                throw new ServerStartupException($"The TLS certificate file {Path.GetFullPath(file)} ({setting}) does not exist; check the path.");
            }
        }
        try
        {
            using X509Certificate2 loaded = keyPath is null
                ? X509CertificateLoader.LoadPkcs12FromFile(path, certificate["Password"])
                : X509Certificate2.CreateFromPemFile(path, keyPath);
            if (!loaded.HasPrivateKey)
            {
                throw new ServerStartupException($"The TLS certificate {Path.GetFullPath(path)} ({setting}) has no private key; give its key with {setting}:KeyPath.");
            }
        }
        catch (CryptographicException e)
        {
            throw new ServerStartupException(
                $"The TLS certificate {Path.GetFullPath(path)} ({setting}) does not open ({e.Message.TrimEnd('.')}); check the file and {setting}:Password or {setting}:KeyPath.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ServerStartupException($"This user may not read the TLS certificate {Path.GetFullPath(path)} ({setting}); give the server's user read access.", e);
        }
    }
}
