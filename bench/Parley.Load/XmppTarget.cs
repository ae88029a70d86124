// ejabberd (Debian's package, started by scripts/ejabberd.sh on loopback) as a relay target: the same pairs exchange
// the same MLS messages as XMPP chat messages (base64 in <body/>), one c2s session per device.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Parley.Client.Groups;

namespace Parley.Load;

/// <summary>ejabberd under the 1:1 relay workload: users registered through its HTTP API, messages to the partner's
/// full JID. ejabberd keeps online messages in memory only (no archive), unlike Parley, which stores every copy on
/// disk before it answers.</summary>
internal sealed class XmppTarget : IRelayTarget
{
    private const string Domain = "localhost";
    private const string Password = "load-password";
    private readonly IPEndPoint _c2s;
    private readonly Uri _api;
    private readonly int _pid;
    private readonly string _version;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _receivers = [];
    private XmppConnection[] _connections = [];
    private string[] _users = [];

    private XmppTarget(IPEndPoint c2s, Uri api, int pid, string version)
    {
        _c2s = c2s;
        _api = api;
        _pid = pid;
        _version = version;
    }

    public string Name => "ejabberd";

    public string Description => $"ejabberd {_version} (Debian package), c2s over TCP, no TLS, in-memory routing";

    public IReadOnlyList<int> ServerPids => [_pid];

    /// <summary>Runs scripts/ejabberd.sh start (idempotent) and reads the addresses it prints.</summary>
    public static async Task<XmppTarget> StartAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Path.Combine(ChildProcess.RepositoryRoot(), "scripts", "ejabberd.sh"), "start")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("scripts/ejabberd.sh did not start.");
        string output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/ejabberd.sh start failed ({process.ExitCode}).");
        }
        // One line: c2s=127.0.0.1:PORT api=http://127.0.0.1:PORT pid=PID version=V
        var fields = output.Trim().Split('\n')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        return new XmppTarget(IPEndPoint.Parse(fields["c2s"]), new Uri(fields["api"]), int.Parse(fields["pid"], CultureInfo.InvariantCulture),
            fields.GetValueOrDefault("version", "?"));
    }

    public async Task<IReadOnlyList<DeviceLeaf>> SetUpDevicesAsync(int count, CancellationToken cancellationToken)
    {
        string prefix = "lx" + Guid.NewGuid().ToString("N")[..6];
        await RegisterAsync(count, prefix, cancellationToken);
        _connections = new XmppConnection[count];
        return LocalLeaves.Create(count, prefix);
    }

    /// <summary>Registers users {prefix}-0 … through ejabberd's HTTP API.</summary>
    public async Task RegisterAsync(int count, string prefix, CancellationToken cancellationToken)
    {
        _users = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();
        using var http = new HttpClient { BaseAddress = _api };
        await Parallel.ForEachAsync(_users, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (user, ct) =>
        {
            // A body with Content-Length: ejabberd's HTTP listener does not take chunked requests.
            using var body = new StringContent($"{{\"user\":\"{user}\",\"host\":\"{Domain}\",\"password\":\"{Password}\"}}",
                System.Text.Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri("api/register", UriKind.Relative), body, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"ejabberd did not register {user}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        });
    }

    /// <summary>Opens an authenticated session for registered user <paramref name="index"/> (idle connections).</summary>
    public Task<XmppConnection> LogInAsync(int index, IPAddress? source, CancellationToken cancellationToken)
        => XmppConnection.ConnectAsync(_c2s, Domain, _users[index], Password, cancellationToken, source);

    public Task RegisterGroupAsync(int creator, NewGroup group, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ConnectAsync(Action<int, ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken)
    {
        for (int i = 0; i < _users.Length; i++)
        {
            int device = i;
            XmppConnection connection = _connections[device] = await XmppConnection.ConnectAsync(_c2s, Domain, _users[device], Password, cancellationToken);
            _receivers.Add(Task.Run(() => connection.ReceiveAsync(body => onMessage(device, Convert.FromBase64String(body)), _stop.Token),
                CancellationToken.None));
        }
    }

    public Task SendAsync(int from, int to, byte[] groupId, string id, byte[] message, CancellationToken cancellationToken)
        => _connections[from].SendMessageAsync(_connections[to].Jid, id, Convert.ToBase64String(message), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var connection in _connections)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        foreach (var receiver in _receivers)
        {
            try
            {
                await receiver;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
        _stop.Dispose();
        // ejabberd keeps running (scripts/ejabberd.sh stop ends it); the users registered here stay in its spool.
    }
}
