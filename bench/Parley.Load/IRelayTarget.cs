// The relay under test in the 1:1 workload: Parley, ejabberd or the Kestrel echo relay, driven the same way (same
// pairs, same MLS-encrypted payloads, same pacing, same latency measurement); only the transport differs.
using Parley.Client.Groups;

namespace Parley.Load;

/// <summary>A server that relays one device's MLS message to its partner.</summary>
internal interface IRelayTarget : IAsyncDisposable
{
    /// <summary>Short name for reports ("parley", "ejabberd", "echo").</summary>
    string Name { get; }

    /// <summary>What runs (engine, nodes, version).</summary>
    string Description { get; }

    /// <summary>The server processes, for memory and CPU.</summary>
    IReadOnlyList<int> ServerPids { get; }

    /// <summary>Database processes the server relies on (PostgreSQL, Redis), for CPU; empty for most targets.</summary>
    IReadOnlyList<int> DatabasePids => [];

    /// <summary>Creates <paramref name="count"/> accounts and returns each device's MLS leaf.</summary>
    Task<IReadOnlyList<DeviceLeaf>> SetUpDevicesAsync(int count, CancellationToken cancellationToken);

    /// <summary>Tells the server about a pair's new group (Parley registers it and takes the Add commit and Welcome).</summary>
    Task RegisterGroupAsync(int creator, NewGroup group, CancellationToken cancellationToken);

    /// <summary>Opens every device's receiving connection; <paramref name="onMessage"/>(device, MLSMessage bytes) runs for
    /// each message that arrives, in order per device.</summary>
    Task ConnectAsync(Action<int, ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken);

    /// <summary>Sends one MLS message from <paramref name="from"/> to its partner <paramref name="to"/>; returns when the
    /// server has accepted it (Parley: stored on disk; the others: written to the connection).</summary>
    Task SendAsync(int from, int to, byte[] groupId, string id, byte[] message, CancellationToken cancellationToken);
}

/// <summary>MLS leaves for relays that know nothing of Parley accounts: same shape and sizes as a Parley device's leaf
/// (basic credential with a 32-digit id, Ed25519 key, account binding with a 64-byte certificate).</summary>
internal static class LocalLeaves
{
    public static IReadOnlyList<DeviceLeaf> Create(int count, string prefix)
    {
        var suite = Parley.Mls.Crypto.CipherSuite.Get(1);
        return Enumerable.Range(0, count).Select(i =>
        {
            var key = suite.GenerateSignatureKeyPair();
            string deviceId = Parley.Client.Identity.DeviceIdentity.DeriveDeviceId(key.PublicKey);
            return new DeviceLeaf(suite, deviceId, key, new AccountBinding($"{prefix}-{i}", System.Security.Cryptography.RandomNumberGenerator.GetBytes(64)));
        }).ToList();
    }
}

/// <summary>A two-member group as its creator registers it: the epoch 0 GroupInfo, the commit adding the peer with its Welcome,
/// and the GroupInfo of the epoch that commit starts (all MLSMessages); the delivery keys of sealed sending for epochs 0 and
/// 1, and epoch 1's credential seed, which both members derive from the exporter (docs/protocol.md, "Sealed sending").</summary>
public sealed record NewGroup(byte[] GroupId, byte[] Genesis, byte[] Commit, byte[] Welcome, byte[] GroupInfo, byte[] DeliveryKey0,
    byte[] DeliveryKey1, byte[] SealedSeed1);
