using Parley.Server.Devices;

namespace Parley.Server.Presence;

/// <summary>Presence for a single node: every connection is in this process, so
/// <see cref="Delivery.DeviceConnections"/> reaches them directly and there is nobody else to tell.</summary>
public sealed class LocalDevicePresence : IDevicePresence
{
    public IDisposable Listen(DeviceId device, Action<PresenceSignal> onSignal) => Nothing.Instance;

    public void MailArrived(IReadOnlyCollection<DeviceId> devices)
    {
    }

    public void Revoked(DeviceId device)
    {
    }

    private sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();

        public void Dispose()
        {
        }
    }
}
