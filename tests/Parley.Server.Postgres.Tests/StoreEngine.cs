using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;
using Parley.Server.Storage;

namespace Parley.Server.Postgres.Tests;

/// <summary>One storage engine's stores, resolved exactly as the server registers them from its
/// configuration (SQLite in a temporary folder, or PostgreSQL in a database of the test's own),
/// with a clock the test moves by hand.</summary>
public sealed class StoreEngine : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _dataDirectory;
    private readonly TestDatabase? _database;

    private StoreEngine(ServiceProvider services, string dataDirectory, TestDatabase? database, ManualClock clock)
    {
        _services = services;
        _dataDirectory = dataDirectory;
        _database = database;
        Clock = clock;
    }

    public ManualClock Clock { get; }

    /// <summary>The engine's data folder (the SQLite database lives here).</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>The PostgreSQL database's connection string (null for SQLite).</summary>
    public string? ConnectionString => _services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ParleyServerOptions>>().Value.Postgres;

    public IStorageEngine Engine => _services.GetRequiredService<IStorageEngine>();

    public IAccountStore Accounts => _services.GetRequiredService<IAccountStore>();

    public IDeviceStore Devices => _services.GetRequiredService<IDeviceStore>();

    public IKeyPackageStore KeyPackages => _services.GetRequiredService<IKeyPackageStore>();

    public IGroupStore Groups => _services.GetRequiredService<IGroupStore>();

    public IMailboxStore Mailboxes => _services.GetRequiredService<IMailboxStore>();

    public IBlobStore Blobs => _services.GetRequiredService<IBlobStore>();

    public IChallengeStore Challenges => _services.GetRequiredService<IChallengeStore>();

    /// <summary>Any other service of the engine.</summary>
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>The SQLite engine in a fresh temporary folder.</summary>
    public static Task<StoreEngine> SqliteAsync() => Task.FromResult(Open(null));

    /// <summary>The PostgreSQL engine in a fresh database.</summary>
    public static async Task<StoreEngine> PostgresAsync() => Open(await ExternalServices.CreateDatabaseAsync());

    /// <summary>A second engine over the same PostgreSQL database (another node, as far as storage goes).</summary>
    public StoreEngine OpenAnotherNode()
        => _database is null ? throw new InvalidOperationException("Only PostgreSQL is shared.") : Open(_database, owns: false);

    private static StoreEngine Open(TestDatabase? database, bool owns = true)
    {
        string data = Path.Combine(Path.GetTempPath(), "parley-store-tests", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["Parley:DataDirectory"] = data };
        if (database is not null)
        {
            settings["Parley:Postgres"] = database.ConnectionString;
        }
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(configuration);
        services.AddParleyServer(configuration);
        services.RemoveAll<TimeProvider>();
        services.AddSingleton<TimeProvider>(clock);
        ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStorageEngine>();
        return new StoreEngine(provider, data, owns ? database : null, clock);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        foreach (string directory in new[] { _dataDirectory, _dataDirectory + "-secrets" })
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
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
