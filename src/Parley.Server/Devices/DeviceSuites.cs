// Which MLS cipher suites a registered device may use (docs/protocol.md, "Cipher suites"). A device registers one
// suite and one signature key, certified by its account for that suite; the same key signs its leaves in every suite
// with the same signature scheme, so an Ed25519 device of suite 1 also takes part in groups of the post-quantum suite
// 83 (X-Wing), whose signatures are Ed25519 too.
using System.Diagnostics.CodeAnalysis;
using Parley.Mls.Crypto;

namespace Parley.Server.Devices;

/// <summary>The cipher suites a device's signature key serves.</summary>
public static class DeviceSuites
{
    /// <summary>True, with the suite, when Parley implements <paramref name="cipherSuite"/> and it signs like the suite
    /// <paramref name="device"/> registered.</summary>
    public static bool Allows(Device device, ushort cipherSuite, [NotNullWhen(true)] out CipherSuite? suite)
    {
        ArgumentNullException.ThrowIfNull(device);
        suite = null;
        if (!CipherSuite.TryGet(device.CipherSuite, out CipherSuite? registered) || !CipherSuite.TryGet(cipherSuite, out CipherSuite? wanted)
            || !wanted.SignsLike(registered))
        {
            return false;
        }
        suite = wanted;
        return true;
    }
}
