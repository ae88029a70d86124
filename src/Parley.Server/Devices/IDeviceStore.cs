using Parley.Server.Accounts;

namespace Parley.Server.Devices;

/// <summary>A device to store: its MLS signature key, the account's certificate over it, and the
/// SHA-256 hash of its credential token (the token itself is never stored).</summary>
public sealed record NewDevice(DeviceId Id, ushort CipherSuite, byte[] SignatureKey, byte[] Certificate, byte[] CredentialHash);

/// <summary>A stored device.</summary>
public sealed record Device(DeviceId Id, AccountId AccountId, ushort CipherSuite, byte[] SignatureKey, byte[] Certificate, bool Revoked);

/// <summary>What the authentication handler needs to check a device credential.</summary>
public sealed record DeviceCredentialRecord(DeviceId Id, AccountId AccountId, byte[] CredentialHash);

/// <summary>What became of adding a device.</summary>
public enum AddDeviceOutcome
{
    Added,
    DeviceExists,
    TooManyDevices,
}

/// <summary>Persistence of devices and their credentials.</summary>
public interface IDeviceStore
{
    /// <summary>Adds a device to an account unless its id exists or the account has <paramref name="maxDevices"/> already.</summary>
    Task<AddDeviceOutcome> AddAsync(AccountId account, NewDevice device, int maxDevices, CancellationToken cancellationToken);

    /// <summary>The account's devices, revoked ones included.</summary>
    Task<IReadOnlyList<Device>> ListAsync(AccountId account, CancellationToken cancellationToken);

    /// <summary>The device, or null.</summary>
    Task<Device?> FindAsync(DeviceId id, CancellationToken cancellationToken);

    /// <summary>The credential hash of an active (unrevoked) device, or null.</summary>
    Task<DeviceCredentialRecord?> FindCredentialAsync(DeviceId id, CancellationToken cancellationToken);

    /// <summary>Revokes a device of <paramref name="account"/>: drops its credential, key packages
    /// and mailbox in one transaction. False when there is no such active device.</summary>
    Task<bool> RevokeAsync(AccountId account, DeviceId id, CancellationToken cancellationToken);
}
