// The Parley server under test: one node on SQLite, or one or more nodes sharing PostgreSQL (and Redis for
// more than one node), each a real "parley serve" process on its own loopback port.
using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Parley.Load;

/// <summary>Where the server keeps its state.</summary>
internal enum StorageEngine
{
    Sqlite,
    Postgres,
}

/// <summary>One or more running Parley nodes; devices are spread over them by index.</summary>
internal sealed class ParleyCluster : IAsyncDisposable
{
    /// <summary>The benchmark lifts the rate limits: every simulated device comes from 127.0.0.1, so the per-address
    /// limit (6,000 requests a minute by default) would throttle the whole load as if it were one abusive client.</summary>
    private static readonly string[] Unlimited =
    [
        "--Parley:AnonymousRequestsPerMinute", "2000000000", "--Parley:RequestsPerMinute", "2000000000",
        "--Parley:RequestsPerMinutePerAccount", "2000000000", "--Parley:RequestsPerMinutePerAddress", "2000000000",
    ];

    private readonly List<ChildProcess> _nodes;
    private readonly string? _database;
    private readonly string? _adminConnection;
    private readonly string _root;

    private readonly bool _redis;

    private ParleyCluster(List<ChildProcess> nodes, string root, string? adminConnection, string? database, string description, bool redis)
    {
        _redis = redis;
        _nodes = nodes;
        _root = root;
        _adminConnection = adminConnection;
        _database = database;
        Description = description;
    }

    public IReadOnlyList<Uri> Addresses => _nodes.Select(n => n.Address).ToList();

    public IEnumerable<int> Pids => _nodes.Select(n => n.Pid);

    public string Description { get; }

    /// <summary>The PostgreSQL and Redis processes serving this cluster now (none on SQLite). PostgreSQL may serve other
    /// databases at the same time; its CPU is counted as this cluster's.</summary>
    public IReadOnlyList<int> DatabasePids => DatabaseProcesses.Find(_database is not null, _redis);

    /// <summary>The node device <paramref name="index"/> talks to.</summary>
    public Uri NodeFor(int index) => _nodes[index % _nodes.Count].Address;

    public static async Task<ParleyCluster> StartAsync(StorageEngine engine, int nodes, IEnumerable<string> extraArguments, CancellationToken cancellationToken,
        bool liftRateLimits = true, string? serverDll = null)
    {
        if (engine == StorageEngine.Sqlite && nodes != 1)
        {
            throw new ArgumentException("Several nodes need --engine postgres (they share the database).");
        }
        string dll = serverDll ?? ServerDll();
        string root = Path.Combine(Path.GetTempPath(), "parley-load-server-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        string? admin = null, database = null, redis = null;
        var common = new List<string>(liftRateLimits ? Unlimited : []);
        common.AddRange(extraArguments);
        if (engine == StorageEngine.Postgres)
        {
            admin = await ScriptAsync("postgres.sh", cancellationToken);
            database = "parley_load_" + Guid.NewGuid().ToString("N")[..10];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            common.AddRange(["--Parley:Postgres", new NpgsqlConnectionStringBuilder(admin) { Database = database, MaxPoolSize = 100 }.ConnectionString]);
            if (nodes > 1)
            {
                redis = await ScriptAsync("redis.sh", cancellationToken);
                common.AddRange(["--Parley:Redis", redis]);
            }
        }
        var started = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                string data = Path.Combine(root, "node" + i.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(data);
                started.Add(await ChildProcess.StartAsync(nodes == 1 ? "server" : "node" + i, dll,
                    ["serve", "--data", data, "--urls", "http://127.0.0.1:0", .. common], data, cancellationToken));
            }
        }
        catch
        {
            foreach (var node in started)
            {
                await node.DisposeAsync();
            }
            throw;
        }
        string description = engine == StorageEngine.Sqlite
            ? "1 node, SQLite"
            : $"{nodes} node{(nodes == 1 ? "" : "s")}, PostgreSQL{(redis is null ? "" : " + Redis")}";
        return new ParleyCluster(started, root, admin, database, description, redis is not null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        if (_adminConnection is not null && _database is not null)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_adminConnection);
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException e)
            {
                Console.Error.WriteLine($"Could not drop {_database}: {e.Message}");
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    /// <summary>The server to run: $PARLEY_SERVER_DLL, else the repository's Release build of the CLI.</summary>
    /// <remarks>The target <c>parley-baseline</c> runs $PARLEY_BASELINE_DLL instead, so one <c>compare</c> measures two builds.</remarks>
    public static string ServerDll()
    {
        if (Environment.GetEnvironmentVariable("PARLEY_SERVER_DLL") is { Length: > 0 } own)
        {
            return File.Exists(own) ? own : throw new FileNotFoundException("PARLEY_SERVER_DLL names no file.", own);
        }
        string dll = Path.Combine(ChildProcess.RepositoryRoot(), "src", "Parley.Cli", "bin", "Release", "net10.0", "parley.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build it first: dotnet build -c Release src/Parley.Cli", dll);
    }

    // scripts/postgres.sh start and scripts/redis.sh start print the address on standard output (and are idempotent).
    private static async Task<string> ScriptAsync(string script, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Path.Combine(ChildProcess.RepositoryRoot(), "scripts", script), "start")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{script} did not start.");
        string output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/{script} start failed ({process.ExitCode}).");
        }
        return output.Trim().Split('\n')[^1].Trim();
    }
}
