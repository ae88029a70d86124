using System.Text.Json;

namespace Parley.Cli.Tests;

/// <summary>One server for a whole test class, started with an operator key made by <c>parley admin keygen</c>.</summary>
public sealed class OperatorServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _root = new();

    public ServerProcess Server { get; private set; } = null!;

    public string Root => _root.Path;

    /// <summary>The operator's private key file.</summary>
    public string KeyFile => Path.Combine(_root.Path, "operator.key");

    /// <summary>The operator's public key (base64), as the server was started with.</summary>
    public string PublicKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var keygen = await Cli.RunAsync("admin", "keygen", "--out", KeyFile, "--json");
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        PublicKey = JsonDocument.Parse(keygen.Output).RootElement.GetProperty("publicKey").GetString()!;
        Server = await ServerProcess.StartAsync(Path.Combine(_root.Path, "server"), "--Parley:OperatorKey", PublicKey);
        using var http = new HttpClient { BaseAddress = Server.Address };
        using var _ = await http.PostAsync("/v1/challenges", null);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _root.Dispose();
    }
}
