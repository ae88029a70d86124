using Parley.Server.Devices;

namespace Parley.Server.Presence;

/// <summary>What other nodes (or the presence layer itself) say about a device connected here.</summary>
public enum PresenceSignal
{
    /// <summary>Listening has begun: anything published from now on arrives, so look at the mailbox once.</summary>
    Ready,

    /// <summary>Mail arrived in the device's mailbox (stored by another node, or possibly missed while the link was down).</summary>
    MailArrived,

    /// <summary>The device was revoked on another node: close with 4001.</summary>
    Revoked,

    /// <summary>The device opened a newer connection on another node: close with 4000.</summary>
    Replaced,
}

/// <summary>Presence across server nodes: tells the node that holds a device's WebSocket that its
/// mailbox has something new, that it was revoked, or that it connected elsewhere. Without Redis
/// there is one node and <see cref="LocalDevicePresence"/> has nothing to tell anyone.</summary>
public interface IDevicePresence
{
    /// <summary>Starts listening for signals about <paramref name="device"/>, which has just connected
    /// to this node, and tells the other nodes (which close an older connection of it). Signals go to
    /// <paramref name="onSignal"/>, <see cref="PresenceSignal.Ready"/> first once listening is in
    /// place. Disposing the result stops listening.</summary>
    IDisposable Listen(DeviceId device, Action<PresenceSignal> onSignal);

    /// <summary>Tells whichever nodes hold these devices' connections that mail arrived.</summary>
    void MailArrived(IReadOnlyCollection<DeviceId> devices);

    /// <summary>Tells whichever node holds the device's connection that it was revoked.</summary>
    void Revoked(DeviceId device);
}
