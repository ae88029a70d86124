// One Parley device: its account, its encrypted store, its server connection and its MLS groups.
using Parley.Client.Accounts;
using Parley.Client.Attachments;
using Parley.Client.Channels;
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Moderation;
using Parley.Client.Network;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.Group;

namespace Parley.Client;

/// <summary>A Parley device, as the CLI, the web app and tests drive it: create or link an account, talk in
/// 1:1 chats and groups, send files, and sync with the server. The device's secrets live in its encrypted
/// <see cref="ClientStore"/>; every MLS group change is saved in the same store transaction as the messages it
/// produced. Operations are serialized (one at a time per device); dispose to close the store.</summary>
public sealed partial class ParleyClient : IDisposable
{
    /// <summary>The store's file name inside a device's home folder.</summary>
    public const string StoreFileName = "parley.db";

    /// <summary>The MLS cipher suite of new devices (X25519, AES-128-GCM, SHA-256, Ed25519).</summary>
    public const ushort DefaultCipherSuite = 1;

    /// <summary>The post-quantum suite a device publishes key packages for beside its registered one, and new conversations
    /// use when every member device can (MLS_256_XWING_AES256GCM_SHA512_Ed25519: X-Wing, AES-256-GCM, SHA-512, Ed25519).</summary>
    public const ushort PostQuantumCipherSuite = 0x53;

    private readonly ClientStore _store;
    private readonly ParleyServerClient _server;
    private readonly ParleyClientOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly MlsGroupOptions _groupOptions;

    /// <summary>The padding of every PrivateMessage this client sends (docs/privacy.md, "Padding"): content is
    /// padded to 256-byte steps up to 4 KiB and to its Padmé length above, so receipts, reactions, edits and
    /// short texts are the same size on the wire.</summary>
    public static readonly PaddingPolicy MessagePadding = PaddingPolicy.Buckets(256, 4096);
    private readonly DeviceLeaf _leaf;
    private readonly EventStream _events = new();
    private bool _disposed;

    // The services (docs/architecture.md, "The client"): each owns its concern's state; the receive pipeline hands
    // each delivery to the one whose concern it is.
    private readonly DeviceContext _device;
    private readonly LeafVerifier _leaves;
    private readonly BlockList _blocks;
    private readonly ReceiptQueue _receipts = new();
    private readonly AttachmentTransfers _attachments;
    private readonly Reports _reports;
    private readonly PublicChannelService _publicChannels;
    private readonly OwnDevices _ownDevices = new();
    private readonly ChannelReceiver _channels;
    private readonly MembershipHandler _membership;
    private readonly KeyPackageClaims _claims;
    private readonly ReceivePipeline _pipeline;

    // True while the delivery WebSocket is open: the server then pushes the whole mailbox through it in order,
    // so a send need not fetch the mailbox over HTTP first.
    private volatile bool _deliveriesPushed;

    private int _listeners;

    private ParleyClient(ClientStore store, Uri server, ParleyClientOptions options)
    {
        _store = store;
        _options = options;
        var identity = store.Identity ?? throw new ParleyClientException(ClientError.NoAccount, null, "This Parley home has no account yet.");
        if (identity.CredentialToken is null || identity.DeviceCertificate is null)
        {
            throw new ParleyClientException("This device never finished registering with its server; create the account again in a new home.");
        }
        _server = new ParleyServerClient(server, identity.CredentialToken, options.HttpHandler);
        _groupOptions = new MlsGroupOptions
        {
            Now = () => (ulong)options.Time.GetUtcNow().ToUnixTimeSeconds(),
            Padding = MessagePadding,
        };
        var registered = CipherSuite.Get(identity.CipherSuite);
        _leaf = new DeviceLeaf(registered, identity.DeviceId, identity.SignatureKey,
            new AccountBinding(identity.AccountName, identity.DeviceCertificate), DeviceSuites(registered, options.PostQuantum));
        _device = new DeviceContext(store, _server, options, _groupOptions, _leaf, _events);
        _blocks = new BlockList(_device);
        _attachments = new AttachmentTransfers(_device);
        _reports = new Reports(_device, _attachments);
        _publicChannels = new PublicChannelService(_device);
        _leaves = new LeafVerifier(_device, group => _channels!.Note(group));
        _channels = new ChannelReceiver(_device, _leaves);
        _membership = new MembershipHandler(_device, _leaves, NoteExternalJoinAsync);
        _claims = new KeyPackageClaims(_device, _leaves);
        var messages = new MessageHandler(_device, _leaves, _blocks, _receipts, _membership);
        _pipeline = new ReceivePipeline(_device, _membership, messages, _channels, _blocks);
    }

    /// <summary>The account's user name (lower case).</summary>
    public string Username => Identity.AccountName;

    /// <summary>This device's id.</summary>
    public string DeviceId => Identity.DeviceId;

    /// <summary>The server this device talks to.</summary>
    public Uri Server => _server.Server;

    /// <summary>The device's encrypted local store (history, conversations, contacts).</summary>
    public ClientStore Store => _store;

    /// <summary>The server connection (for tests and tools).</summary>
    public ParleyServerClient ServerClient => _server;

    /// <summary>Raised for every event of this device (the list is on <see cref="ClientEvent"/>), on the thread that
    /// produced it, while the device works: a handler must be quick and must not call back into the client. Views
    /// that run on their own pace use <see cref="Subscribe"/> or <see cref="Events"/> instead.</summary>
    public event Action<ClientEvent>? EventRaised
    {
        add => _events.Raised += value;
        remove => _events.Raised -= value;
    }

    /// <summary>Subscribes to this device's events (the list is on <see cref="ClientEvent"/>): every event raised from
    /// now on is queued for this subscription alone, up to <paramref name="capacity"/> unread ones (then the oldest are
    /// dropped and counted, never holding up sync). Any number of consumers may subscribe at once; dispose to stop. A
    /// view subscribes first and then reads the state it shows (conversations, history), so nothing falls between.</summary>
    public ClientEventSubscription Subscribe(int capacity = ClientEventSubscription.DefaultCapacity) => _events.Subscribe(capacity);

    /// <summary>This device's events as an async stream, from the moment the enumeration starts until
    /// <paramref name="cancellationToken"/> fires or the client closes (a <see cref="Subscribe"/> of the default
    /// capacity for the enumeration's lifetime).</summary>
    public async IAsyncEnumerable<ClientEvent> Events([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscription = Subscribe();
        await foreach (var e in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    // The post-quantum suite first (preferred for new conversations), when it signs like the registered one: the device's
    // one signature key and certificate then serve both.
    private static IReadOnlyList<ushort> DeviceSuites(CipherSuite registered, bool postQuantum)
        => postQuantum && registered.Id != PostQuantumCipherSuite && CipherSuite.TryGet(PostQuantumCipherSuite, out var pq) && pq.SignsLike(registered)
            ? [PostQuantumCipherSuite, registered.Id]
            : [registered.Id];

    private DeviceIdentity Identity => _store.Identity ?? throw new ObjectDisposedException(nameof(ParleyClient));

    private DateTimeOffset Now => _options.Time.GetUtcNow();

    // ---- Homes --------------------------------------------------------------------------------

    /// <summary>The store file of the device whose home folder is <paramref name="home"/>.</summary>
    public static string StorePath(string home) => Path.Combine(Path.GetFullPath(home), StoreFileName);

    /// <summary>True when <paramref name="home"/> holds a device.</summary>
    public static bool Exists(string home) => ClientStore.Exists(StorePath(home));

    /// <summary>True when another process (or another client in this one) has the device in <paramref name="home"/> open.</summary>
    public static bool IsInUse(string home) => ClientStore.IsInUse(StorePath(home));

    /// <summary>Holds <paramref name="home"/> without opening its device (while waiting for the passphrase): other
    /// processes find it in use until the reservation is disposed or handed to
    /// <see cref="Open(string, string, StoreReservation, Uri?, ParleyClientOptions?)"/>, which keeps holding it. Throws
    /// <see cref="StoreInUseException"/> when another process has it open.</summary>
    public static StoreReservation ReserveHome(string home) => ClientStore.Reserve(StorePath(home));

    /// <summary>Opens the device in <paramref name="home"/>. <paramref name="server"/> overrides the server the
    /// device registered with (when the server moved).</summary>
    public static ParleyClient Open(string home, string passphrase, Uri? server = null, ParleyClientOptions? options = null)
        => Open(home, passphrase, null, server, options);

    /// <summary>Opens the device in <paramref name="home"/> with the home's lock that <paramref name="reservation"/>
    /// holds (<see cref="ReserveHome"/>): the device keeps it, and when opening fails (a wrong passphrase) the
    /// reservation still holds the home.</summary>
    public static ParleyClient Open(string home, string passphrase, StoreReservation? reservation, Uri? server = null, ParleyClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(home);
        ArgumentNullException.ThrowIfNull(passphrase);
        options ??= new ParleyClientOptions();
        if (!Exists(home))
        {
            throw new ParleyClientException(ClientError.NoAccount, Path.GetFullPath(home), $"There is no Parley account in {Path.GetFullPath(home)}.");
        }
        var store = ClientStore.Open(StorePath(home), passphrase, StoreOptions(options), reservation);
        try
        {
            return new ParleyClient(store, server ?? store.Identity?.ServerUrl ?? throw new ParleyClientException("The store has no server."), options);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static ClientStoreOptions StoreOptions(ParleyClientOptions options)
        => new() { KeyDerivation = options.KeyDerivation, Time = options.Time };

    // Removes a store that was created but never finished (registration failed).
    private static void DeleteStoreFiles(string path)
    {
        foreach (string file in new[] { path, path + "-wal", path + "-shm", path + "-journal", path + ".lock" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private void Raise(ClientEvent e) => _events.Publish(e);

    private async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private SemaphoreSlim? _gate = gate;

        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release();
    }

    /// <summary>Closes the store and the server connection.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Interlocked.Exchange(ref _pendingHistory, null)?.Wipe();
        _events.Close();
        _gate.Wait();
        try
        {
            _server.Dispose();
            DisposeQueues();
            DisposeSealedSigners();
            _store.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    public override string ToString() => _disposed ? "ParleyClient(closed)" : $"ParleyClient({Username}, device {DeviceId})";
}
