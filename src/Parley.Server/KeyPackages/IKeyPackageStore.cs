using Parley.Server.Accounts;
using Parley.Server.Devices;

namespace Parley.Server.KeyPackages;

/// <summary>A validated key package to store: its KeyPackageRef, its MLSMessage bytes, the end of its lifetime and its MLS
/// cipher suite.</summary>
/// <param name="Ref">The KeyPackageRef.</param>
/// <param name="Data">The MLSMessage bytes.</param>
/// <param name="NotAfter">The end of its leaf's lifetime.</param>
/// <param name="CipherSuite">The package's MLS cipher suite.</param>
public sealed record StoredKeyPackage(byte[] Ref, byte[] Data, DateTimeOffset NotAfter, ushort CipherSuite = 1);

/// <summary>A key package handed out for one device.</summary>
public sealed record ClaimedKeyPackage(DeviceId DeviceId, byte[] Data, bool LastResort);

/// <summary>How many key packages a device has left.</summary>
public sealed record KeyPackageCount(int OneTime, bool HasLastResort);

/// <summary>An account's current window of claims by other accounts: how many were made in it (this one included) and
/// when it ends.</summary>
public readonly record struct ClaimWindow(int Claims, DateTimeOffset Ends);

/// <summary>Persistence of key packages, per device and cipher suite: one-time packages are handed out once; the
/// last-resort package of a device in a suite is handed out (and kept) only when it has no one-time package left in
/// that suite.</summary>
public interface IKeyPackageStore
{
    /// <summary>Stores one-time packages (duplicates ignored) and replaces the last-resort package of the given one's
    /// suite. Returns false, storing nothing, if the device would exceed <paramref name="maxOneTime"/> one-time packages
    /// in any one suite.</summary>
    Task<bool> AddAsync(DeviceId device, IReadOnlyList<StoredKeyPackage> oneTime, StoredKeyPackage? lastResort, int maxOneTime,
        CancellationToken cancellationToken);

    /// <summary>How many unexpired packages of <paramref name="cipherSuite"/> the device has.</summary>
    Task<KeyPackageCount> CountAsync(DeviceId device, ushort cipherSuite, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The cipher suites in which each active device of <paramref name="account"/> has an unexpired package
    /// (devices with none are absent).</summary>
    Task<IReadOnlyDictionary<DeviceId, IReadOnlyList<ushort>>> SuitesAsync(AccountId account, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>Atomically takes one package of <paramref name="cipherSuite"/> for every active device of
    /// <paramref name="account"/> (except <paramref name="except"/>): a one-time package if any is left and
    /// <paramref name="takeOneTime"/> (deleted as it is taken), else the last-resort package. Devices with neither in
    /// that suite are absent from the result.</summary>
    Task<IReadOnlyList<ClaimedKeyPackage>> ClaimAsync(AccountId account, DeviceId? except, ushort cipherSuite, DateTimeOffset now,
        bool takeOneTime, CancellationToken cancellationToken);

    /// <summary>Counts one claim of <paramref name="account"/>'s key packages in its current window, first starting a new
    /// window of length <paramref name="window"/> at <paramref name="now"/> if the last one has ended. Shared by every
    /// node, so the count holds however many nodes the claims reach.</summary>
    Task<ClaimWindow> CountClaimAsync(AccountId account, DateTimeOffset now, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>Deletes packages whose lifetime has ended, and claim windows that have ended.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
