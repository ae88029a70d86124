using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>The rows a commit changes in a roster store: leaves vacated (removed, or refilled by another device), leaves
/// occupied with their device and signature key, and leaves whose device stayed but whose key changed (an Update or the
/// committer's path). Both storage engines apply it.</summary>
public sealed record RosterChange(
    IReadOnlyList<uint> Vacated,
    IReadOnlyList<(uint Leaf, DeviceId Device, byte[]? Key)> Occupied,
    IReadOnlyList<(uint Leaf, byte[] Key)> Rekeyed)
{
    /// <summary>What turns <paramref name="before"/> into the roster <paramref name="decision"/> describes.</summary>
    public static RosterChange Between(GroupRoster before, GroupDecision decision)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(decision);
        var vacated = new List<uint>();
        var occupied = new List<(uint, DeviceId, byte[]?)>();
        var rekeyed = new List<(uint, byte[])>();
        foreach (var (leaf, device) in before.Members)
        {
            if (!decision.Members.TryGetValue(leaf, out DeviceId now) || now != device)
            {
                vacated.Add(leaf);
            }
        }
        foreach (var (leaf, device) in decision.Members)
        {
            byte[]? key = decision.LeafKeys.GetValueOrDefault(leaf);
            if (!before.Members.TryGetValue(leaf, out DeviceId was) || was != device)
            {
                occupied.Add((leaf, device, key));
            }
            else if (key is not null && !(before.LeafKeys.GetValueOrDefault(leaf)?.AsSpan().SequenceEqual(key) ?? false))
            {
                rekeyed.Add((leaf, key));
            }
        }
        return new RosterChange(vacated, occupied, rekeyed);
    }
}
