// What every service of one device shares: its store, its server connection, its options, its MLS leaf and
// its event stream. The services own their own state; this holds only what belongs to the device as a whole.
using Parley.Client.Groups;
using Parley.Client.Identity;
using Parley.Client.Network;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Mls.Group;

namespace Parley.Client;

/// <summary>The device a service works for (docs/architecture.md, "The client").</summary>
internal sealed class DeviceContext(ClientStore store, ParleyServerClient server, ParleyClientOptions options, MlsGroupOptions groupOptions,
    DeviceLeaf leaf, EventStream events)
{
    public ClientStore Store => store;

    public ParleyServerClient Server => server;

    public ParleyClientOptions Options => options;

    /// <summary>Clock and padding for every MLS group this device loads.</summary>
    public MlsGroupOptions GroupOptions => groupOptions;

    /// <summary>This device's MLS leaf: suite, credential, signature key and capabilities.</summary>
    public DeviceLeaf Leaf => leaf;

    /// <summary>The one event stream every service reports to.</summary>
    public EventStream Events => events;

    public DeviceIdentity Identity => store.Identity ?? throw new ObjectDisposedException(nameof(ParleyClient));

    /// <summary>The account's user name (lower case).</summary>
    public string Username => Identity.AccountName;

    public string DeviceId => Identity.DeviceId;

    public DateTimeOffset Now => options.Time.GetUtcNow();
}
