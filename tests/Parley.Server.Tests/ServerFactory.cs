using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Tests;

/// <summary>The server in-process over a real SQLite file in a fresh temporary folder (deleted on
/// dispose unless <see cref="KeepData"/>), with a settable clock and generous rate limits.</summary>
public sealed class ServerFactory : WebApplicationFactory<Program>, ITestServer
{
    private readonly Dictionary<string, string?> _settings;

    public ServerFactory(string? dataDirectory = null, IDictionary<string, string?>? settings = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "parley-server-tests", Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>
        {
            ["Parley:DataDirectory"] = DataDirectory,
            ["Parley:RequestsPerMinute"] = "100000",
            ["Parley:RequestsPerMinutePerAccount"] = "100000",
            ["Parley:RequestsPerMinutePerAddress"] = "100000",
            ["Parley:AnonymousRequestsPerMinute"] = "100000",
            ["Parley:KeyPackageClaimsPerTargetPerHour"] = "100000",
            ["Parley:OneTimeKeyPackageClaimsPerHour"] = "100000",
            ["Parley:ExpirySweepInterval"] = "01:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <summary>The database folder.</summary>
    public string DataDirectory { get; }

    /// <summary>Leave the folder behind on dispose (for restart tests).</summary>
    public bool KeepData { get; set; }

    /// <summary>The server's clock.</summary>
    public ManualTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Every line the server logged (category, level and formatted message), as an operator's log would hold it.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> LogLines { get; } = new();

    /// <summary>Serves over real TCP (Kestrel on a free loopback port) instead of in memory, for what only a socket shows
    /// (resets, Kestrel's own limits); returns the address. Call before anything else uses the server.</summary>
    public Uri StartKestrel()
    {
        UseKestrel(0);
        StartServer();
        return new Uri(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>A client straight on the test server, authenticated with <paramref name="credential"/>.
    /// Unlike <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> (whose redirect handler
    /// buffers request bodies to replay them) it streams request bodies.</summary>
    public HttpClient CreateStreamingClient(string credential)
    {
        HttpClient client = Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credential);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
        });
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturedLogs(LogLines)));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && !KeepData)
        {
            DeleteQuietly(DataDirectory);
            DeleteQuietly(DataDirectory + "-secrets");
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!KeepData)
        {
            DeleteQuietly(DataDirectory);
            DeleteQuietly(DataDirectory + "-secrets");
        }
    }

    /// <summary>A fresh data folder whose SQLite database is at schema version 1 (as the first release left it),
    /// with <paramref name="rows"/> (SQL) run in it, for the tests of migrations. Returns the folder and the file.</summary>
    internal static (string Directory, string Path) Version1Database(string rows)
    {
        string directory = Path.Combine(Path.GetTempPath(), "parley-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, SqliteDatabase.FileName);
        using var old = new SqliteConnection($"Data Source={path};Pooling=False");
        old.Open();
        old.Execute(SqliteSchema.Create);
        old.Execute(rows);
        return (directory, path);
    }

    internal static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Keeps every log line the server writes, so tests can check what an operator's logs would show.</summary>
internal sealed class CapturedLogs(System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILoggerProvider
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel != Microsoft.Extensions.Logging.LogLevel.None;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter)
            => lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>A server the tests can reach over HTTP: in-process or a real process.</summary>
public interface ITestServer
{
    /// <summary>An HTTP client whose base address is the server.</summary>
    HttpClient CreateClient();
}
