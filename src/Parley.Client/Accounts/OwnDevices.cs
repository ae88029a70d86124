// This account's device list as this client last saw it, to tell when a device was linked or revoked.
using Parley.Client.Sync;

namespace Parley.Client.Accounts;

/// <summary>Compares each device list the server gives with the previous one this client saw.</summary>
internal sealed class OwnDevices
{
    private HashSet<string>? _active;
    private HashSet<string>? _revoked;

    /// <summary>Records the list; returns what changed since the previous one, or null when nothing did (or this is
    /// the first list this client sees).</summary>
    public DevicesChanged? Observe(IEnumerable<(string DeviceId, bool Revoked)> devices)
    {
        var active = devices.Where(d => !d.Revoked).Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal);
        var revoked = devices.Where(d => d.Revoked).Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal);
        var (previousActive, previousRevoked) = (_active, _revoked);
        (_active, _revoked) = (active, revoked);
        if (previousActive is null || previousRevoked is null)
        {
            return null;
        }
        var linked = active.Where(d => !previousActive.Contains(d) && !previousRevoked.Contains(d)).Order(StringComparer.Ordinal).ToList();
        var gone = revoked.Where(d => !previousRevoked.Contains(d)).Order(StringComparer.Ordinal).ToList();
        return linked.Count == 0 && gone.Count == 0 ? null : new DevicesChanged(linked, gone);
    }
}
