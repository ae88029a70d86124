// Why a budget: at its open-file limit the process does not survive. accept(2) fails with EMFILE, Kestrel's accept loop
// retries at once, without end, on a thread-pool thread; the pool starts threads to replace it; a new thread cannot get
// the pipe the runtime opens for it, and the runtime aborts the process with "Out of memory." (docs/benchmarks.md, idle
// connections). So the node refuses work well before the limit: a device WebSocket over the budget gets 503 server_full,
// a TCP connection over the budget plus some room for HTTP is closed as soon as it is accepted, and the transport stops
// accepting while the sockets it holds reach that plus a few being closed (BudgetedSocketTransport).
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Parley.Server.Operations;

/// <summary>How many device WebSockets and TCP connections this node holds at most — from
/// <see cref="ParleyServerOptions.MaxConnections"/>, else from the process's open-file limit — and the gate that admits
/// or refuses each new one.</summary>
public sealed class ConnectionBudget
{
    /// <summary>The WebSocket budget where the open-file limit cannot be read (not Linux).</summary>
    public const int DefaultWithoutFileLimit = 10_000;

    /// <summary>Files always kept free for what the node opens later: database files and pools, Redis, blob files,
    /// log files, assemblies loaded on first use, and sockets accepted only to be closed.</summary>
    private const int MinimumReserve = 256;

    private const int MaximumDerived = 1_000_000;

    /// <summary>Sockets the transport may hold beyond <see cref="Connections"/>: those the gate is closing.</summary>
    private const int RefusalRoom = 32;

    private const int RlimitNofile = 7;

    private readonly ServerMetrics _metrics;
    private readonly ILogger<ConnectionBudget> _logger;
    private readonly SemaphoreSlim _sockets;
    private readonly int? _configured;
    private readonly (int WebSockets, int Connections) _derived;
    private int _openWebSockets;
    private int _openConnections;
    private int _webSocketsFull;
    private int _connectionsFull;

    public ConnectionBudget(IOptions<ParleyServerOptions> options, ServerMetrics metrics, ILogger<ConnectionBudget> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _metrics = metrics;
        _logger = logger;
        FileLimit = ReadFileLimit();
        OpenAtStart = FileLimit is null ? 0 : CountOpenFiles();
        (int WebSockets, int Connections) derived = FileLimit is { } limit
            ? Derive(limit, OpenAtStart)
            : (DefaultWithoutFileLimit, DefaultWithoutFileLimit + HttpHeadroom(DefaultWithoutFileLimit));
        _configured = options.Value.MaxConnections;
        _derived = derived;
        if (_configured is { } configured)
        {
            WebSockets = Math.Max(0, configured);
            Connections = WebSockets + HttpHeadroom(WebSockets);
        }
        else
        {
            (WebSockets, Connections) = derived;
        }
        _sockets = new SemaphoreSlim(Sockets, Sockets);
    }

    /// <summary>Logs the budget, and a warning when <see cref="ParleyServerOptions.MaxConnections"/> leaves too few files;
    /// at start rather than when the budget is made (the host makes it with the server), so a server whose start-up checks
    /// fail says nothing but why.</summary>
    internal void LogAtStart()
    {
        if (_configured is { } configured && FileLimit is not null && Connections > _derived.Connections)
        {
            _logger.LogWarning("Parley:MaxConnections {MaxConnections} leaves too few of the {FileLimit} open files this process may have " +
                "({OpenFiles} already open); at the limit the process aborts. Raise the limit (ulimit -n) or lower the setting to at most {Derived}",
                configured, FileLimit, OpenAtStart, _derived.WebSockets);
        }
        _logger.LogInformation("Connection budget: {WebSockets} device WebSockets, {Connections} TCP connections in all " +
            "({Source}; open-file limit {FileLimit}, {OpenFiles} files open at start)",
            WebSockets, Connections, _configured is null ? "derived" : "Parley:MaxConnections",
            FileLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", OpenAtStart);
    }

    /// <summary>Most device WebSockets held at once.</summary>
    public int WebSockets { get; }

    /// <summary>Most TCP connections held at once: <see cref="WebSockets"/> and room for HTTP requests beside them.</summary>
    public int Connections { get; }

    /// <summary>Most sockets the transport holds open at once: <see cref="Connections"/> and room for those being refused.
    /// Past it the node stops accepting and new connections wait in the kernel's backlog.</summary>
    public int Sockets => Connections + RefusalRoom;

    /// <summary>The process's soft open-file limit (RLIMIT_NOFILE), or null where it cannot be read.</summary>
    public long? FileLimit { get; }

    /// <summary>Files the process had open when the budget was set.</summary>
    public int OpenAtStart { get; }

    /// <summary>Device WebSockets open now.</summary>
    public int OpenWebSockets => Volatile.Read(ref _openWebSockets);

    /// <summary>Sockets the transport holds open now.</summary>
    public int OpenSockets => Sockets - _sockets.CurrentCount;

    /// <summary>Seconds a refused client is told to wait, drawn at random so refused clients do not all return at once.</summary>
    public static int RetryAfterSeconds() => Random.Shared.Next(10, 31);

    /// <summary>Takes a place for one more device WebSocket; false (counted and, once per episode, logged) when the
    /// budget is spent. Every true is matched by one <see cref="CloseWebSocket"/>.</summary>
    public bool TryOpenWebSocket()
    {
        if (Interlocked.Increment(ref _openWebSockets) <= WebSockets)
        {
            return true;
        }
        Interlocked.Decrement(ref _openWebSockets);
        _metrics.ConnectionRefused("websocket");
        if (Interlocked.Exchange(ref _webSocketsFull, 1) == 0)
        {
            _logger.LogWarning("The connection budget is spent: {WebSockets} device WebSockets are open; more get 503 server_full until some close",
                WebSockets);
        }
        return false;
    }

    /// <summary>Gives back a place taken by <see cref="TryOpenWebSocket"/>.</summary>
    public void CloseWebSocket()
    {
        // Below 90 % the episode is over: the next time the budget is spent is logged again.
        if (Interlocked.Decrement(ref _openWebSockets) <= WebSockets * 9L / 10)
        {
            Volatile.Write(ref _webSocketsFull, 0);
        }
    }

    /// <summary>Kestrel connection middleware: closes a connection over <see cref="Connections"/> as soon as it is accepted.</summary>
    internal ConnectionDelegate Gate(ConnectionDelegate next) => async connection =>
    {
        if (Interlocked.Increment(ref _openConnections) > Connections)
        {
            Interlocked.Decrement(ref _openConnections);
            _metrics.ConnectionRefused("tcp");
            if (Interlocked.Exchange(ref _connectionsFull, 1) == 0)
            {
                _logger.LogWarning("The connection budget is spent: {Connections} TCP connections are open; more are closed at once until some close",
                    Connections);
            }
            await connection.Transport.Input.CompleteAsync();
            await connection.Transport.Output.CompleteAsync();
            return;
        }
        try
        {
            await next(connection);
        }
        finally
        {
            if (Interlocked.Decrement(ref _openConnections) <= Connections * 9L / 10)
            {
                Volatile.Write(ref _connectionsFull, 0);
            }
        }
    };

    /// <summary>Waits until the transport may hold one more socket; each completed wait is matched by one
    /// <see cref="SocketClosed"/>.</summary>
    internal Task WaitForSocketAsync(CancellationToken cancellationToken) => _sockets.WaitAsync(cancellationToken);

    /// <summary>Gives back the place of a socket that is closed (or was never accepted).</summary>
    internal void SocketClosed()
    {
        try
        {
            _sockets.Release();
        }
        catch (SemaphoreFullException)
        {
            // Runs inside the transport's close path, which must not fail; a place given back twice is only miscounted.
        }
    }

    /// <summary>The budget for <paramref name="fileLimit"/> open files with <paramref name="openFiles"/> already open: the
    /// files left after a reserve of max(256, limit/10) (an eighth of those free, under a limit too low for the reserve),
    /// of which HTTP keeps max(64, 10 %) beside the WebSockets.</summary>
    internal static (int WebSockets, int Connections) Derive(long fileLimit, int openFiles)
    {
        long free = Math.Max(0, fileLimit - openFiles);
        long reserve = Math.Max(MinimumReserve, fileLimit / 10);
        // Files opened after start (assemblies loaded on first use: about 80 more in a node that has served every endpoint)
        // count against the reserve, and so does accept churn: sockets accepted only to be closed, not closed yet.
        int connections = (int)Math.Clamp(Math.Max(free - reserve, free / 8), 1, MaximumDerived);
        int webSockets = connections - HttpHeadroom(connections);
        return webSockets >= 1 ? (webSockets, connections) : (Math.Max(1, connections / 2), connections);
    }

    // Room for HTTP beside the WebSockets: requests, and the keep-alive connections clients hold for a minute or two after them.
    private static int HttpHeadroom(int connections) => Math.Max(64, connections / 10);

    private static long? ReadFileLimit()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            return getrlimit(RlimitNofile, out Rlimit limit) == 0 ? (long)Math.Min(limit.Current, long.MaxValue) : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static int CountOpenFiles()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    // DllImport rather than LibraryImport: the generated stub needs unsafe code, which this project does not allow.
    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out Rlimit limit);
}

/// <summary>Registers the <see cref="ConnectionBudget"/> and puts its gate in front of every Kestrel endpoint.</summary>
public static class ConnectionBudgetRegistration
{
    public static IServiceCollection AddParleyConnectionBudget(this IServiceCollection services)
    {
        services.AddSingleton<ConnectionBudget>();
        services.AddHostedService<ConnectionBudgetReport>();
        // Registered after the host's own socket transport, so Kestrel binds with this one.
        services.AddSingleton<IConnectionListenerFactory>(provider => new BudgetedSocketTransport(
            ActivatorUtilities.CreateInstance<SocketTransportFactory>(provider), provider.GetRequiredService<ConnectionBudget>()));
        // Kestrel's own MaxConcurrentConnections counts each listening address apart; the gate counts them together.
        services.AddOptions<KestrelServerOptions>().Configure<ConnectionBudget>(
            (kestrel, budget) => kestrel.ConfigureEndpointDefaults(listen => listen.Use(budget.Gate)));
        return services;
    }
}

/// <summary>Has the <see cref="ConnectionBudget"/> log itself when the host starts.</summary>
internal sealed class ConnectionBudgetReport(ConnectionBudget budget) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        budget.LogAtStart();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
