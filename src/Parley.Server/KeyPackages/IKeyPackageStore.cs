using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.KeyPackages;

/// <summary>A validated key package to store: its KeyPackageRef, its MLSMessage bytes and the end of its lifetime.</summary>
public sealed record StoredKeyPackage(byte[] Ref, byte[] Data, DateTimeOffset NotAfter);

/// <summary>A key package handed out for one device.</summary>
public sealed record ClaimedKeyPackage(DeviceId DeviceId, byte[] Data, bool LastResort);

/// <summary>How many key packages a device has left.</summary>
public sealed record KeyPackageCount(int OneTime, bool HasLastResort);

/// <summary>An account's current window of claims by other accounts: how many were made in it (this one included) and
/// when it ends.</summary>
public readonly record struct ClaimWindow(int Claims, DateTimeOffset Ends);

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
    /// (except <paramref name="except"/>): a one-time package if any is left and <paramref name="takeOneTime"/>
    /// (deleted as it is taken), else the last-resort package. Devices with neither are absent from the result.</summary>
    Task<IReadOnlyList<ClaimedKeyPackage>> ClaimAsync(AccountId account, DeviceId? except, DateTimeOffset now, bool takeOneTime,
        CancellationToken cancellationToken);

    /// <summary>Counts one claim of <paramref name="account"/>'s key packages in its current window, first starting a new
    /// window of length <paramref name="window"/> at <paramref name="now"/> if the last one has ended. Shared by every
    /// node, so the count holds however many nodes the claims reach.</summary>
    Task<ClaimWindow> CountClaimAsync(AccountId account, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Deletes packages whose lifetime has ended, and claim windows that have ended.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
