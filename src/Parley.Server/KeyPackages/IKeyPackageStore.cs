using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.KeyPackages;

/// <summary>A validated key package to store: its KeyPackageRef, its MLSMessage bytes and the end of its lifetime.</summary>
public sealed record StoredKeyPackage(byte[] Ref, byte[] Data, DateTimeOffset NotAfter);

/// <summary>A key package handed out for one device.</summary>
public sealed record ClaimedKeyPackage(DeviceId DeviceId, byte[] Data, bool LastResort);

/// <summary>How many key packages a device has left.</summary>
public sealed record KeyPackageCount(int OneTime, bool HasLastResort);

/// <summary>Persistence of key packages: one-time packages are handed out once; the last-resort
/// package of a device is handed out (and kept) only when it has no one-time package left.</summary>
public interface IKeyPackageStore
{
    /// <summary>Stores one-time packages (duplicates ignored) and replaces the last-resort package
    /// when one is given. Returns false, storing nothing, if the device would exceed <paramref name="maxOneTime"/>.</summary>
    Task<bool> AddAsync(DeviceId device, IReadOnlyList<StoredKeyPackage> oneTime, StoredKeyPackage? lastResort, int maxOneTime,
        CancellationToken cancellationToken);

    /// <summary>How many unexpired packages the device has.</summary>
    Task<KeyPackageCount> CountAsync(DeviceId device, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Atomically takes one package for every active device of <paramref name="account"/>
    /// (except <paramref name="except"/>): a one-time package if any is left (deleted as it is
    /// taken), else the last-resort package. Devices with neither are absent from the result.</summary>
    Task<IReadOnlyList<ClaimedKeyPackage>> ClaimAsync(AccountId account, DeviceId? except, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>Deletes packages whose lifetime has ended.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
