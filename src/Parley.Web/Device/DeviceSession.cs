// The one device this app shows: locked, without an account, or open and listening. Components read the client and
// call it; they learn of changes through Changed and Events.
using Parley.Client;
using Parley.Client.Sync;

namespace Parley.Web.Device;

/// <summary>Where the device stands.</summary>
public enum DeviceState
{
    /// <summary>The home has no account: create one or link this device.</summary>
    NoAccount,

    /// <summary>The home has an account whose store waits for the passphrase.</summary>
    Locked,

    /// <summary>The store is open and the device listens for deliveries.</summary>
    Open,
}

/// <summary>Opens the device of the app's home once, keeps it listening, and hands its events to every open page.</summary>
public sealed class DeviceSession : IAsyncDisposable
{
    private readonly WebAppOptions _options;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private ParleyClient? _client;
    private IAsyncDisposable? _hosting;
    private Task? _listening;
    private ClientEventSubscription? _events;
    private Task? _pumping;
    private DeviceLinkRequest? _link;
    private Parley.Client.Storage.StoreReservation? _reserved;

    /// <summary>How many events wait for the pages at most: a page that falls further behind loses the oldest, is told
    /// through <see cref="Changed"/> and reads what it shows again, so memory stays bounded however slow it is.</summary>
    public const int EventQueue = 256;

    public DeviceSession(WebAppOptions options) => _options = options;

    /// <summary>The open device, or null while locked or without an account.</summary>
    public ParleyClient? Client => _client;

    /// <summary>Where the device stands.</summary>
    public DeviceState State => _client is not null ? DeviceState.Open : ParleyClient.Exists(_options.Home) ? DeviceState.Locked : DeviceState.NoAccount;

    /// <summary>The server a new account or link uses by default (PARLEY_SERVER or --server).</summary>
    public Uri? DefaultServer => _options.Server;

    /// <summary>True while the delivery connection is open.</summary>
    public bool Connected { get; private set; }

    /// <summary>Raised when the state changes (opened, connected, disconnected), and when events were dropped because
    /// the pages fell behind (then a page reads everything it shows again).</summary>
    public event Action? Changed;

    /// <summary>Raised for every event of the open device (new message, receipt, membership…), one at a time from the
    /// device's bounded event queue (<see cref="EventQueue"/>), never on the thread that receives.</summary>
    public event Action<ClientEvent>? Events;

    /// <summary>A new empty folder inside the home (which only its owner can read) for a file on its way in or out:
    /// plaintext is never left in the shared temporary folder. The caller deletes it.</summary>
    public string NewScratchFolder()
    {
        string parent = Path.Combine(Path.GetFullPath(_options.Home), "web-files");
        string folder = Path.Combine(parent, Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return folder;
        }
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(parent, OwnerOnly);
        // A folder made by an earlier version kept the default mode.
        File.SetUnixFileMode(parent, OwnerOnly);
        Directory.CreateDirectory(folder, OwnerOnly);
        return folder;
    }

    /// <summary>While locked, holds the home so that no other parley process opens it before the page's passphrase
    /// does (they find it in use). When another process has it open already, unlocking says so.</summary>
    public void ReserveWhileLocked()
    {
        if (_reserved is null && State == DeviceState.Locked)
        {
            try
            {
                _reserved = ParleyClient.ReserveHome(_options.Home);
            }
            catch (Parley.Client.Storage.StoreInUseException)
            {
                // Unlocking reports it.
            }
        }
    }

    /// <summary>Opens the store with PARLEY_PASSPHRASE when it was given.</summary>
    public async Task TryOpenWithEnvironmentAsync()
    {
        if (_options.Passphrase is { Length: > 0 } passphrase && State == DeviceState.Locked)
        {
            await UnlockAsync(passphrase);
        }
    }

    /// <summary>Opens the store with <paramref name="passphrase"/>; throws <see cref="ParleyClientException"/> or the
    /// store's exception when it is wrong.</summary>
    public async Task UnlockAsync(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        await _opening.WaitAsync();
        try
        {
            if (_client is not null)
            {
                return;
            }
            // The store takes the reservation's lock over, so the home is never free in between; when the passphrase
            // is wrong the reservation still holds it.
            var reservation = _reserved;
            ParleyClient client;
            try
            {
                client = await Task.Run(() => ParleyClient.Open(_options.Home, passphrase, reservation, null, _options.ClientOptions));
            }
            catch
            {
                if (reservation is { IsHeld: false })
                {
                    _reserved = null;
                    ReserveWhileLocked();
                }
                throw;
            }
            _reserved = null;
            Started(client);
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Creates an account with this device as its first.</summary>
    public async Task CreateAccountAsync(Uri server, string username, string passphrase, CancellationToken cancellationToken)
    {
        CheckNewPassphrase(passphrase);
        await _opening.WaitAsync(cancellationToken);
        try
        {
            var client = await ParleyClient.CreateAccountAsync(_options.Home, passphrase, server, username, _options.ClientOptions, cancellationToken);
            Started(client);
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>The link code to show to the account's existing device (<c>parley device approve CODE</c>).</summary>
    public string LinkCode => (_link ??= ParleyClient.BeginLink()).Code;

    /// <summary>Finishes linking with the approval code the existing device printed.</summary>
    public async Task CompleteLinkAsync(string approvalCode, string passphrase, CancellationToken cancellationToken)
    {
        CheckNewPassphrase(passphrase);
        await _opening.WaitAsync(cancellationToken);
        try
        {
            var link = _link ?? throw new ParleyClientException("Start linking first: the link code is shown above.");
            var client = await ParleyClient.CompleteLinkAsync(_options.Home, passphrase, link, approvalCode.Trim(), _options.ClientOptions, cancellationToken);
            link.Dispose();
            _link = null;
            Started(client);
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Restores the backup at <paramref name="path"/>, opened with <paramref name="backupKey"/>, as a new device of
    /// its account on its own server (docs/backup.md): the whole file is checked before anything is written or registered.
    /// With <paramref name="revokeOthers"/> the account's other devices (the lost ones) are revoked. Returns the ids of
    /// the devices revoked.</summary>
    public async Task<IReadOnlyList<string>> RestoreAsync(string path, string backupKey, string passphrase, bool revokeOthers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backupKey);
        CheckNewPassphrase(passphrase);
        using var key = ParseBackupKey(backupKey);
        var secret = Parley.Client.Backup.BackupSecret.FromKey(key);
        await _opening.WaitAsync(cancellationToken);
        try
        {
            if (_client is not null || State != DeviceState.NoAccount)
            {
                throw new ParleyClientException("This home holds an account already; restore into a new home.");
            }
            var client = await ParleyClient.RestoreBackupAsync(_options.Home, passphrase, null, path, secret, _options.ClientOptions, null, cancellationToken);
            IReadOnlyList<string> revoked = [];
            try
            {
                if (revokeOthers)
                {
                    revoked = await client.RevokeOtherDevicesAsync(cancellationToken);
                }
            }
            finally
            {
                Started(client);
            }
            return revoked;
        }
        finally
        {
            _opening.Release();
        }
    }

    // The key as `parley backup create` and the page show it (groups of four with dashes); spaces from a copy are fine.
    private static Parley.Client.Backup.BackupKey ParseBackupKey(string text)
    {
        try
        {
            return Parley.Client.Backup.BackupKey.Parse(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
        }
        catch (FormatException e)
        {
            throw new ParleyClientException(e.Message, e);
        }
    }

    private static void CheckNewPassphrase(string passphrase)
    {
        if (string.IsNullOrEmpty(passphrase) || passphrase.Length < 8)
        {
            throw new ParleyClientException("Choose a passphrase of at least 8 characters.");
        }
    }

    private void Started(ParleyClient client)
    {
        var events = client.Subscribe(EventQueue);
        _events = events;
        _pumping = Task.Run(() => PumpAsync(events));
        _client = client;
        _hosting = _options.DeviceOpened?.Invoke(client);
        _listening = Task.Run(async () =>
        {
            try
            {
                await client.SyncAsync(_stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Offline at start: listening retries with backoff.
            }
            await client.ListenAsync(_stop.Token, connected =>
            {
                Connected = connected;
                Changed?.Invoke();
            });
        });
        Changed?.Invoke();
    }

    private async Task PumpAsync(ClientEventSubscription events)
    {
        long missed = 0;
        try
        {
            await foreach (var e in events.ReadAllAsync(_stop.Token))
            {
                Raise(e);
                if (events.Missed != missed)
                {
                    missed = events.Missed;
                    Changed?.Invoke();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Raise(ClientEvent e)
    {
        try
        {
            Events?.Invoke(e);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A page's failure must not stop the events of the others.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_listening is not null)
        {
            try
            {
                await _listening;
            }
            catch (Exception e) when (e is OperationCanceledException or ParleyClientException)
            {
                // Stopping.
            }
        }
        _events?.Dispose();
        if (_pumping is not null)
        {
            await _pumping;
        }
        if (_hosting is not null)
        {
            await _hosting.DisposeAsync();
        }
        _client?.Dispose();
        _reserved?.Dispose();
        _link?.Dispose();
        _stop.Dispose();
    }
}
