using Parley.Server.Accounts;

namespace Parley.Server.Devices;

/// <summary>Adds a device to an account; sent by the new device itself.</summary>
/// <param name="Signature">Ed25519 signature by the account identity key over <see cref="AccountSignatures.AddDevice"/>.</param>
/// <param name="Challenge">A challenge from POST /v1/challenges, used once.</param>
/// <param name="Device">The new device's key, certified by the account identity key.</param>
public sealed record AddDeviceRequest(byte[] Challenge, byte[] Signature, DeviceKey Device);

/// <summary>The new device's id and credential (shown once).</summary>
public sealed record AddDeviceResponse(string DeviceId, string Credential);

/// <summary>Revokes a device.</summary>
/// <param name="Signature">Ed25519 signature by the account identity key over <see cref="AccountSignatures.RevokeDevice"/>.</param>
/// <param name="Challenge">A challenge from POST /v1/challenges, used once.</param>
public sealed record RevokeDeviceRequest(byte[] Challenge, byte[] Signature);

/// <summary>One of the caller's account's devices.</summary>
public sealed record DeviceListEntry(string DeviceId, ushort CipherSuite, byte[] SignatureKey, byte[] Certificate, bool Revoked, bool Current);

/// <summary>The caller's account's devices.</summary>
public sealed record DeviceListResponse(IReadOnlyList<DeviceListEntry> Devices);
