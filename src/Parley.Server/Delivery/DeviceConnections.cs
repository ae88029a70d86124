using System.Collections.Concurrent;
using Parley.Server.Devices;
using Parley.Server.Presence;

namespace Parley.Server.Delivery;

/// <summary>The devices connected to this node and a way to wake each one's delivery loop. One
/// connection per device: a newer connection replaces the older one. With several nodes,
/// <see cref="IDevicePresence"/> carries wake-ups, revocations and replacements to the node
/// holding the socket.</summary>
public sealed class DeviceConnections(IDevicePresence presence)
{
    private readonly ConcurrentDictionary<DeviceId, DeviceConnection> _connections = new();

    /// <summary>How many devices are connected.</summary>
    public int Count => _connections.Count;

    /// <summary>Registers <paramref name="connection"/>, closing the device's previous connection if any.</summary>
    public void Add(DeviceConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        DeviceConnection? previous = null;
        _connections.AddOrUpdate(connection.Device, connection, (_, old) =>
        {
            previous = old;
            return connection;
        });
        previous?.Close(DeviceConnection.CloseReason.Replaced);
        connection.AttachPresence(presence.Listen(connection.Device, signal => OnSignal(connection, signal)));
    }

    /// <summary>Forgets <paramref name="connection"/> if it is still the device's current one.</summary>
    public void Remove(DeviceConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connections.TryRemove(new KeyValuePair<DeviceId, DeviceConnection>(connection.Device, connection));
        connection.DetachPresence();
    }

    /// <summary>Tells the connected ones among <paramref name="devices"/> that mail arrived.</summary>
    public void Notify(IEnumerable<DeviceId> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        List<DeviceId>? elsewhere = null;
        foreach (DeviceId device in devices)
        {
            if (_connections.TryGetValue(device, out DeviceConnection? connection))
            {
                connection.Wake();
            }
            else
            {
                (elsewhere ??= []).Add(device);
            }
        }
        if (elsewhere is not null)
        {
            presence.MailArrived(elsewhere);
        }
    }

    /// <summary>Closes the device's connection at once (revocation).</summary>
    public void Disconnect(DeviceId device)
    {
        if (_connections.TryRemove(device, out DeviceConnection? connection))
        {
            connection.Close(DeviceConnection.CloseReason.Revoked);
        }
        presence.Revoked(device);
    }

    /// <summary>Closes the device's connection on this node, if it has one, with <paramref name="reason"/>
    /// (other nodes learn of a suspension by themselves; see <see cref="Moderation.SuspendedAccounts"/>).</summary>
    public void Close(DeviceId device, DeviceConnection.CloseReason reason)
    {
        if (_connections.TryRemove(device, out DeviceConnection? connection))
        {
            connection.Close(reason);
        }
    }

    /// <summary>Closes every connection (shutdown).</summary>
    public void CloseAll()
    {
        foreach (DeviceConnection connection in _connections.Values)
        {
            connection.Close(DeviceConnection.CloseReason.ShuttingDown);
        }
    }

    private void OnSignal(DeviceConnection connection, PresenceSignal signal)
    {
        switch (signal)
        {
            case PresenceSignal.Ready or PresenceSignal.MailArrived:
                connection.Wake();
                break;
            case PresenceSignal.Revoked:
                _connections.TryRemove(new KeyValuePair<DeviceId, DeviceConnection>(connection.Device, connection));
                connection.Close(DeviceConnection.CloseReason.Revoked);
                break;
            case PresenceSignal.Replaced:
                _connections.TryRemove(new KeyValuePair<DeviceId, DeviceConnection>(connection.Device, connection));
                connection.Close(DeviceConnection.CloseReason.Replaced);
                break;
        }
    }
}
