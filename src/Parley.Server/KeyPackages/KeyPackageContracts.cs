namespace Parley.Server.KeyPackages;

/// <summary>Uploads one-time key packages and optionally replaces the last-resort package; each is an MLSMessage (wire format mls_key_package).</summary>
public sealed record UploadKeyPackagesRequest(IReadOnlyList<byte[]>? KeyPackages, byte[]? LastResort);

/// <summary>How many key packages the caller's device has left.</summary>
public sealed record KeyPackageCountResponse(int Count, bool LastResort);

/// <summary>A key package handed out for one device.</summary>
public sealed record ClaimedKeyPackageEntry(string DeviceId, byte[] KeyPackage, bool LastResort);

/// <summary>One key package per device of the user.</summary>
public sealed record ClaimKeyPackagesResponse(string Username, IReadOnlyList<ClaimedKeyPackageEntry> KeyPackages);
