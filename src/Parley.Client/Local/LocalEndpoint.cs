// The local endpoint (docs/local-endpoint.md): while one process holds a device's home (its store is locked by
// `parley listen`, `parley chat` or a web app), other commands on the same home reach that device through the Unix
// socket HOME/parley.sock instead of failing. The home is made 0700 and the socket 0600, and each connection's peer
// must run as this process's user (SO_PEERCRED), so only the home's owner reaches the device.
using System.Net.Sockets;

namespace Parley.Client.Local;

/// <summary>Serves <see cref="LocalRequest"/>s on a home's socket for as long as it is not disposed, one connection
/// per request. The handler runs each request (several may run at once; <see cref="ParleyClient"/> serializes its
/// own operations); a request that is malformed or comes from another user is answered with an error and not run.</summary>
public sealed class LocalEndpoint : IAsyncDisposable
{
    /// <summary>The socket's file name inside the home.</summary>
    public const string SocketFileName = "parley.sock";

    // A request line must arrive this soon after connecting.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private const int MaxConcurrentRequests = 8;

    private readonly Socket _listener;
    private readonly string _path;
    private readonly Func<LocalRequest, CancellationToken, Task<LocalResponse>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxConcurrentRequests, MaxConcurrentRequests);
    private readonly List<Task> _running = [];
    private readonly Task _accepting;

    private LocalEndpoint(Socket listener, string path, Func<LocalRequest, CancellationToken, Task<LocalResponse>> handler)
    {
        _listener = listener;
        _path = path;
        _handler = handler;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>True where the endpoint works (Linux and macOS: Unix sockets with peer credentials).</summary>
    public static bool IsSupported => PeerCredentials.Supported;

    /// <summary>The socket of the device whose home folder is <paramref name="home"/>.</summary>
    public static string SocketPath(string home) => Path.Combine(Path.GetFullPath(home), SocketFileName);

    /// <summary>Starts serving <paramref name="home"/>'s socket. Call it while holding the home's store, so that one
    /// process serves a home. Throws <see cref="ParleyClientException"/> when the system has no such sockets, the path
    /// is too long for one, or another process already answers there.</summary>
    public static LocalEndpoint Start(string home, Func<LocalRequest, CancellationToken, Task<LocalResponse>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        ArgumentNullException.ThrowIfNull(handler);
        if (!IsSupported)
        {
            throw new ParleyClientException("Other parley commands cannot reach this device while it runs: this system has no Unix sockets with peer credentials.");
        }
        home = Path.GetFullPath(home);
        string path = SocketPath(home);
        var endPoint = EndPointOf(path);
        MakePrivate(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(path))
        {
            if (Answers(endPoint))
            {
                throw new ParleyClientException($"Another parley process already serves {path}.");
            }
            // Left behind by a process that did not stop cleanly.
            File.Delete(path);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(endPoint);
            MakePrivate(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(MaxConcurrentRequests);
            return new LocalEndpoint(listener, path, handler);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> to the process serving <paramref name="home"/> and returns its answer,
    /// or null when no process answers there (or one run by another user does).</summary>
    public static async Task<LocalResponse?> TrySendAsync(string home, LocalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        ArgumentNullException.ThrowIfNull(request);
        string path = SocketPath(home);
        if (!IsSupported || !File.Exists(path))
        {
            return null;
        }
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(EndPointOf(path), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ParleyClientException)
        {
            return null;
        }
        if (PeerCredentials.PeerUserId(socket) != PeerCredentials.OwnUserId)
        {
            return null;
        }
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(LocalProtocol.EncodeRequest(request), cancellationToken).ConfigureAwait(false);
        byte[]? line = await ReadLineAsync(stream, LocalProtocol.MaxResponseBytes, cancellationToken).ConfigureAwait(false)
                       ?? throw new ParleyClientException("The parley process that holds this home stopped before it answered; run the command again.");
        return LocalProtocol.DecodeResponse(line);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                await _slots.WaitAsync(_stop.Token).ConfigureAwait(false);
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                _slots.Release();
                continue;
            }
            var serving = Task.Run(() => ServeAsync(connection));
            lock (_running)
            {
                _running.RemoveAll(t => t.IsCompleted);
                _running.Add(serving);
            }
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        try
        {
            using (connection)
            {
                await using var stream = new NetworkStream(connection, ownsSocket: false);
                var response = await AnswerAsync(connection, stream).ConfigureAwait(false);
                if (response is not null)
                {
                    await stream.WriteAsync(LocalProtocol.EncodeResponse(response), _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The caller went away, or the endpoint is stopping.
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<LocalResponse?> AnswerAsync(Socket connection, NetworkStream stream)
    {
        if (PeerCredentials.PeerUserId(connection) is not { } peer || peer != PeerCredentials.OwnUserId)
        {
            return Refused("forbidden", "this device answers only its own user.");
        }
        byte[]? line;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
        {
            timeout.CancelAfter(RequestTimeout);
            try
            {
                line = await ReadLineAsync(stream, LocalProtocol.MaxRequestBytes, timeout.Token).ConfigureAwait(false);
            }
            catch (LocalProtocolException e)
            {
                return Refused("bad_request", e.Message);
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                return Refused("bad_request", "no request arrived in time.");
            }
        }
        if (line is null)
        {
            return null;
        }
        LocalRequest request;
        try
        {
            request = LocalProtocol.DecodeRequest(line);
        }
        catch (LocalProtocolException e)
        {
            return Refused("bad_request", e.Message);
        }
        // The caller closing its end (Ctrl+C) cancels the command.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _ = WatchForHangUpAsync(stream, gone);
        try
        {
            return await _handler(request, gone.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception e)
        {
            return Refused("failed", $"the command failed unexpectedly ({e.GetType().Name}).");
        }
    }

    private static async Task WatchForHangUpAsync(NetworkStream stream, CancellationTokenSource gone)
    {
        byte[] buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer, gone.Token).ConfigureAwait(false) > 0)
            {
                // Anything after the request line is ignored.
            }
            await gone.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static LocalResponse Refused(string problem, string sentence)
        => new(1, "", $"parley: the running parley process refused the request: {sentence}\n", problem);

    // One line up to its newline (excluded), or null when the stream ends first with nothing read.
    private static async Task<byte[]?> ReadLineAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            // The peer sends one line and then waits for the answer: what follows the newline is not read as a line.
            int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (line.Length == 0)
                {
                    return null;
                }
                throw new LocalProtocolException("The line ended without a newline.");
            }
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
            line.Write(buffer, 0, newline < 0 ? read : newline);
            if (line.Length > maxBytes)
            {
                throw new LocalProtocolException($"The line is longer than {maxBytes} bytes.");
            }
            if (newline >= 0)
            {
                return line.ToArray();
            }
        }
    }

    private static UnixDomainSocketEndPoint EndPointOf(string path)
    {
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ParleyClientException($"The home's path is too long for a Unix socket ({path}); other parley commands cannot reach this device while it runs.");
        }
    }

    private static bool Answers(UnixDomainSocketEndPoint endPoint)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void MakePrivate(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) != mode)
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    /// <summary>Stops accepting, waits for the requests being answered and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Best effort; the next start removes it.
        }
        Task[] running;
        lock (_running)
        {
            running = [.. _running, _accepting];
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A command that does not stop on cancellation; the process is ending anyway.
        }
    }
}
