using System.Collections.Concurrent;
using Parley.Server.Devices;

namespace Parley.Server.Delivery;

/// <summary>The devices connected to this node and a way to wake each one's delivery loop. One
/// connection per device: a newer connection replaces the older one. (With several nodes, a
/// pub/sub layer would forward <see cref="Notify"/> to the node holding the socket.)</summary>
public sealed class DeviceConnections
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
    }

    /// <summary>Forgets <paramref name="connection"/> if it is still the device's current one.</summary>
    public void Remove(DeviceConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connections.TryRemove(new KeyValuePair<DeviceId, DeviceConnection>(connection.Device, connection));
    }

    /// <summary>Tells the connected ones among <paramref name="devices"/> that mail arrived.</summary>
    public void Notify(IEnumerable<DeviceId> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (DeviceId device in devices)
        {
            if (_connections.TryGetValue(device, out DeviceConnection? connection))
            {
                connection.Wake();
            }
        }
    }

    /// <summary>Closes the device's connection at once (revocation).</summary>
    public void Disconnect(DeviceId device)
    {
        if (_connections.TryRemove(device, out DeviceConnection? connection))
        {
            connection.Close(DeviceConnection.CloseReason.Revoked);
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
}
