// Runs tests/interop-ts/peer.mjs (ts-mls 1.6.4 under Node) and talks to it in line-delimited JSON:
// one request per line on stdin, one answer per line on stdout; byte strings in hex.
using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Xunit;

namespace Parley.Mls.Interop.Tests;

/// <summary>A ts-mls process holding any number of named members.</summary>
public sealed class TsMlsPeer : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly System.Text.StringBuilder _errors = new();

    private TsMlsPeer(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The folder of the Node side: package.json, package-lock.json, peer.mjs.</summary>
    public static string Directory => Path.Combine(InteropServerFixture.RepositoryRoot, "tests", "interop-ts");

    /// <summary>Starts the peer. Fails (never skips) when Node or the npm packages are missing, saying how to fix it.</summary>
    public static async Task<TsMlsPeer> StartAsync()
    {
        // ts-mls and the KEMs of its post-quantum suites (79-84), which it loads only when a test asks for one.
        string[] packages = ["ts-mls", "@hpke/ml-kem", "@hpke/hybridkem-x-wing"];
        if (!packages.All(p => File.Exists(Path.Combine(Directory, "node_modules", p, "package.json"))))
        {
            throw new InvalidOperationException(
                $"ts-mls or its post-quantum KEM packages are not installed: run `npm ci --prefix {Directory}` (or `npm ci` in tests/interop-ts) first.");
        }
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("PARLEY_NODE") is { Length: > 0 } node ? node : "node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        start.ArgumentList.Add("peer.mjs");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Node did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Node.js 20 or newer is needed for the ts-mls interop tests and was not found on PATH ({e.Message}).", e);
        }
        var peer = new TsMlsPeer(process);
        var hello = await peer.CallAsync("hello");
        if ((string?)hello["name"] != "ts-mls" || (string?)hello["version"] != "1.6.4")
        {
            await peer.DisposeAsync();
            throw new InvalidOperationException($"The peer is {hello["name"]} {hello["version"]}, expected ts-mls 1.6.4: run `npm ci` in tests/interop-ts.");
        }
        return peer;
    }

    /// <summary>Sends one command and returns its answer; a failed command throws with ts-mls's message.</summary>
    public async Task<JsonObject> CallAsync(string command, JsonObject? arguments = null)
    {
        var request = arguments is null ? new JsonObject() : (JsonObject)arguments.DeepClone();
        request["cmd"] = command;
        await _process.StandardInput.WriteLineAsync(request.ToJsonString()).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync().WaitAsync(AnswerTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"ts-mls did not answer {command} within {AnswerTimeout.TotalSeconds} s.\n{Errors}");
        }
        if (line is null)
        {
            throw new InvalidOperationException($"ts-mls exited during {command}:\n{Errors}");
        }
        var answer = JsonNode.Parse(line)?.AsObject() ?? throw new InvalidOperationException($"ts-mls answered {command} with '{line}'.");
        if (answer["ok"]?.GetValue<bool>() != true)
        {
            throw new TsMlsException((string?)answer["error"] ?? line);
        }
        return answer;
    }

    /// <summary>What the peer printed on stderr.</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static ByteString Bytes(JsonNode? hex)
        => ByteString.CopyFrom(Convert.FromHexString((string?)hex ?? throw new InvalidOperationException("ts-mls left out a byte string.")));

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

/// <summary>One ts-mls process shared by the tests of a class; each test starts with <c>reset</c>.</summary>
public sealed class TsMlsPeerFixture : IAsyncLifetime
{
    public TsMlsPeer Peer { get; private set; } = null!;

    public async Task InitializeAsync() => Peer = await TsMlsPeer.StartAsync();

    public async Task DisposeAsync() => await Peer.DisposeAsync();
}

/// <summary>ts-mls refused a command; the message is ts-mls's own.</summary>
public sealed class TsMlsException(string message) : Exception(message);
