// RFC 9420 §7.7 (adding and removing leaves) and §12.3 (applying proposals), as seen by the Delivery Service.
using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>What the server knows of a group: its cipher suite, current epoch, and which device
/// occupies each non-blank leaf of the ratchet tree. It is kept from the commits the server relays.</summary>
public sealed record GroupRoster(GroupId Id, ushort CipherSuite, ulong Epoch, IReadOnlyDictionary<uint, DeviceId> Members)
{
    /// <summary>The signature key of each leaf whose key the server holds (every leaf added, updated or committed since the
    /// server began keeping them); the key a member signs its handshake messages with.</summary>
    public IReadOnlyDictionary<uint, byte[]> LeafKeys { get; init; } = new Dictionary<uint, byte[]>();

    /// <summary>The current epoch's GroupContext and interim transcript hash; null for a group created before the server
    /// kept them, until its next commit.</summary>
    public GroupEpochState? State { get; init; }

    /// <summary>The delivery keys of sealed sending (docs/protocol.md, "Sealed sending") for the current epoch and the one
    /// before it, as announced by whoever started each; null where none was announced. Loaded only for sealed sends.</summary>
    public (byte[]? Current, byte[]? Previous) DeliveryKeys { get; init; }

    /// <summary>The delivery key of <paramref name="epoch"/> when it is the current or the previous epoch, else null.</summary>
    public byte[]? DeliveryKeyOf(ulong epoch)
        => epoch == Epoch ? DeliveryKeys.Current : Epoch > 0 && epoch == Epoch - 1 ? DeliveryKeys.Previous : null;

    /// <summary>The leaf <paramref name="device"/> occupies, or null if it is not a member.</summary>
    public uint? LeafOf(DeviceId device)
    {
        foreach (var (leaf, member) in Members)
        {
            if (member == device)
            {
                return leaf;
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="device"/> is a member.</summary>
    public bool Contains(DeviceId device) => LeafOf(device) is not null;

    /// <summary>The leftmost blank leaf: where MLS places the next Add (extending the tree if none is blank).</summary>
    public static uint LeftmostBlankLeaf(IReadOnlyDictionary<uint, DeviceId> members)
    {
        uint leaf = 0;
        while (members.ContainsKey(leaf))
        {
            leaf++;
        }
        return leaf;
    }
}
