// RFC 9420 §10.1 (KeyPackage validation), as far as the server can check without a group.
using System.Diagnostics.CodeAnalysis;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.KeyPackages;

/// <summary>Checks an uploaded key package: an MLSMessage of wire format mls_key_package, in a cipher suite that
/// signs like the device's registered one (<see cref="DeviceSuites"/>), whose leaf carries the device's registered signature key and a basic
/// credential naming the device, with valid leaf and key package signatures and a current lifetime.</summary>
public static class KeyPackageRules
{
    /// <summary>The period of the per-target and per-pair claim limits (docs/server-protocol.md, "Key packages").</summary>
    public static readonly TimeSpan ClaimPeriod = TimeSpan.FromHours(1);

    /// <summary>Reads the cipher suite a count or a claim asks for (<c>?suite=</c>, decimal; 1 when absent, as clients
    /// before the post-quantum default asked). False, with a sentence, for a suite this server does not implement.</summary>
    public static bool TryParseSuite(string? value, out ushort suite, [NotNullWhen(false)] out string? error)
    {
        error = null;
        suite = 1;
        if (value is null)
        {
            return true;
        }
        if (!ushort.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out suite)
            || !CipherSuite.TryGet(suite, out _))
        {
            error = $"This server does not know MLS cipher suite '{(value.Length > 8 ? value[..8] + "…" : value)}'; it knows "
                    + $"{string.Join(", ", CipherSuite.Supported)}.";
            return false;
        }
        return true;
    }

    /// <summary>Returns the package to store, or the reason it is refused (a sentence). A last-resort package must carry
    /// the last_resort extension (and list it in its leaf's capabilities, as RFC 9420 §10.1 has adders check); a
    /// one-time package must not, so that what the package says of itself and what the server does with it agree.</summary>
    public static (StoredKeyPackage? Package, string? Error) Validate(byte[]? data, Device device, DateTimeOffset now, bool lastResort)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (data is null || data.Length == 0)
        {
            return (null, "A key package is empty.");
        }
        KeyPackage keyPackage;
        try
        {
            MlsMessage message = MlsMessage.Decode(data);
            keyPackage = message.KeyPackage ?? throw new MlsDecodeException("Not a key package.");
        }
        catch (MlsDecodeException)
        {
            return (null, "A key package does not decode as an MLSMessage carrying a KeyPackage.");
        }
        if (!DeviceSuites.Allows(device, keyPackage.CipherSuite, out CipherSuite? suite))
        {
            return (null, $"A key package must use a supported cipher suite that signs like the device's suite {device.CipherSuite}.");
        }
        LeafNode leaf = keyPackage.LeafNode;
        if (leaf.Source != LeafNodeSource.KeyPackage || leaf.Lifetime is null)
        {
            return (null, "A key package's leaf node must come from a key package and carry a lifetime.");
        }
        if (!GroupRules.TryDeviceOf(leaf, out DeviceId named) || named != device.Id)
        {
            return (null, "A key package's credential must be a basic credential whose identity is the device id.");
        }
        // The same check the group rules make when a commit adds the package.
        if (HandshakeChecks.CheckKeyPackage(suite!, keyPackage, device) is { } problem)
        {
            return (null, problem);
        }
        if (keyPackage.InitKey.AsSpan().SequenceEqual(leaf.EncryptionKey))
        {
            return (null, "A key package's init key must differ from its leaf encryption key.");
        }
        if (keyPackage.IsLastResort != lastResort)
        {
            return (null, lastResort
                ? "A last-resort key package must carry the last_resort extension (0x000A)."
                : "A one-time key package must not carry the last_resort extension; upload it as the last-resort package.");
        }
        if (lastResort && (!leaf.Capabilities.Extensions.Contains(ExtensionType.LastResort)
                           || keyPackage.Extensions.Any(e => e.Type == ExtensionType.LastResort && e.Data.Length != 0)))
        {
            return (null, "A last-resort key package's last_resort extension must be empty and listed in its leaf's capabilities.");
        }
        ulong seconds = (ulong)now.ToUnixTimeSeconds();
        if (leaf.Lifetime.NotBefore > seconds + 3600 || leaf.Lifetime.NotAfter <= seconds)
        {
            return (null, "A key package's lifetime does not cover the present.");
        }
        DateTimeOffset notAfter = leaf.Lifetime.NotAfter >= (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.MaxValue
            : DateTimeOffset.FromUnixTimeSeconds((long)leaf.Lifetime.NotAfter);
        return (new StoredKeyPackage(keyPackage.Ref(suite), data, notAfter, suite.Id), null);
    }
}
