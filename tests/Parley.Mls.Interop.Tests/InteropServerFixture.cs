// Starts the real interop server process (tools/Parley.Mls.Interop) on a free loopback port and
// connects a gRPC client to it, as the mls-implementations test runner does.
using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using Parley.Mls.Interop.Protocol;
using Xunit;

namespace Parley.Mls.Interop.Tests;

/// <summary>One interop server process shared by the tests of the <see cref="InteropCollection"/>.</summary>
public sealed partial class InteropServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private Process? _process;
    private GrpcChannel? _channel;
    private readonly System.Text.StringBuilder _output = new();

    /// <summary>The client of the running server.</summary>
    public MLSClient.MLSClientClient Client { get; private set; } = null!;

    /// <summary>The server's address (http://127.0.0.1:port).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The repository root, as the build saw it.</summary>
    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public async Task InitializeAsync()
    {
        string assembly = Metadata("InteropServerAssembly");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException($"The interop server is not built: {assembly} is missing.");
        }
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = "";

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, listening);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, listening);
        _process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"The interop server exited early:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        Address = await listening.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        _channel = GrpcChannel.ForAddress(Address);
        Client = new MLSClient.MLSClientClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process?.Dispose();
    }

    /// <summary>Everything the server printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void OnLine(string? line, TaskCompletionSource<Uri> listening)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            listening.TrySetResult(new Uri(match.Groups["address"].Value));
        }
    }

    private static string DotnetHost()
    {
        // The test host runs under the same dotnet the build used.
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static string Metadata(string key)
        => typeof(InteropServerFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
               .FirstOrDefault(a => a.Key == key)?.Value
           ?? throw new InvalidOperationException($"The test assembly has no {key} metadata.");

    [GeneratedRegex(@"Now listening on: (?<address>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>The tests that share one interop server; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class InteropCollection : ICollectionFixture<InteropServerFixture>
{
    public const string Name = "Interop server";
}
