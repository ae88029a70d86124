using Parley.Client;

namespace Parley.Web;

/// <summary>How <c>parley web</c> runs: which home, which port, and what the hosting command adds.</summary>
public sealed class WebAppOptions
{
    /// <summary>The device's home folder (its encrypted store).</summary>
    public required string Home { get; init; }

    /// <summary>The port on 127.0.0.1; 0 takes any free one.</summary>
    public int Port { get; init; }

    /// <summary>The passphrase from PARLEY_PASSPHRASE; when null the page asks for it.</summary>
    public string? Passphrase { get; init; }

    /// <summary>The server for a new account or a linked device, when the person does not type one.</summary>
    public Uri? Server { get; init; }

    /// <summary>Client options (key derivation, time).</summary>
    public ParleyClientOptions ClientOptions { get; init; } = new();

    /// <summary>Called once the device is open; what it returns (the home's local endpoint, docs/local-endpoint.md)
    /// is disposed when the app stops.</summary>
    public Func<ParleyClient, IAsyncDisposable?>? DeviceOpened { get; init; }

    /// <summary>Where the one line with the address goes.</summary>
    public TextWriter Output { get; init; } = Console.Out;
}
