// Parley server protocol v1 (docs/server-protocol.md): the JSON bodies a device sends and receives.
namespace Parley.Client.Network;

/// <summary>A fresh single-use challenge for an account signature.</summary>
public sealed record ChallengeResponse(byte[] Challenge, DateTimeOffset ExpiresAt);

/// <summary>A device's MLS signature key as registered, with its device certificate.</summary>
public sealed record DeviceKey(ushort CipherSuite, byte[] SignatureKey, byte[] Certificate);

/// <summary>Registers an account with its first device.</summary>
public sealed record RegisterRequest(string Username, byte[] IdentityKey, byte[] Challenge, byte[] Signature, DeviceKey Device);

/// <summary>The registered account, its first device and that device's credential.</summary>
public sealed record RegisterResponse(string AccountId, string Username, string DeviceId, string Credential);

/// <summary>A device as the directory lists it.</summary>
/// <param name="DeviceId">The device id.</param>
/// <param name="CipherSuite">The suite the device registered (its certificate names it).</param>
/// <param name="SignatureKey">The device's MLS signature key.</param>
/// <param name="Certificate">The account's certificate over the key.</param>
/// <param name="KeyPackageSuites">The suites in which the device has key packages to claim (null from a server that
/// keeps one suite a device: then the registered one).</param>
public sealed record DirectoryDevice(string DeviceId, ushort CipherSuite, byte[] SignatureKey, byte[] Certificate,
    IReadOnlyList<ushort>? KeyPackageSuites = null);

/// <summary>An account as the directory lists it: its identity key and active devices.</summary>
public sealed record DirectoryEntry(string Username, byte[] IdentityKey, IReadOnlyList<DirectoryDevice> Devices);

/// <summary>Adds a device to an account, proven by the account identity key.</summary>
public sealed record AddDeviceRequest(byte[] Challenge, byte[] Signature, DeviceKey Device);

/// <summary>The added device and its credential.</summary>
public sealed record AddDeviceResponse(string DeviceId, string Credential);

/// <summary>Revokes a device, proven by the account identity key.</summary>
public sealed record RevokeDeviceRequest(byte[] Challenge, byte[] Signature);

/// <summary>One of the caller's account's devices.</summary>
public sealed record DeviceListEntry(string DeviceId, ushort CipherSuite, byte[] SignatureKey, byte[] Certificate, bool Revoked, bool Current);

/// <summary>The caller's account's devices, revoked ones included.</summary>
public sealed record DeviceListResponse(IReadOnlyList<DeviceListEntry> Devices);

/// <summary>Uploads key packages (MLSMessage bytes) and optionally a new last-resort package.</summary>
public sealed record UploadKeyPackagesRequest(IReadOnlyList<byte[]> KeyPackages, byte[]? LastResort);

/// <summary>How many unexpired one-time key packages the device has on the server.</summary>
public sealed record KeyPackageCountResponse(int Count, bool LastResort);

/// <summary>One claimed key package of one device.</summary>
public sealed record ClaimedKeyPackageEntry(string DeviceId, byte[] KeyPackage, bool LastResort);

/// <summary>One key package per active device of a user.</summary>
public sealed record ClaimKeyPackagesResponse(string Username, IReadOnlyList<ClaimedKeyPackageEntry> KeyPackages);

/// <summary>Registers a group whose creator is leaf 0 at epoch 0.</summary>
/// <param name="GroupId">The MLS group_id in unpadded base64url.</param>
/// <param name="CipherSuite">The group's MLS cipher suite.</param>
/// <param name="GroupInfo">The group's GroupInfo at epoch 0, signed by the creator.</param>
/// <param name="DeliveryKey">The delivery key of epoch 0's sealed sending (docs/protocol.md, "Sealed sending").</param>
public sealed record CreateGroupRequest(string GroupId, ushort CipherSuite, byte[] GroupInfo, byte[]? DeliveryKey = null);

/// <summary>One leaf of a group's roster.</summary>
public sealed record GroupMemberEntry(uint Leaf, string DeviceId);

/// <summary>A group's roster as the server keeps it.</summary>
public sealed record GroupResponse(string GroupId, ushort CipherSuite, ulong Epoch, IReadOnlyList<GroupMemberEntry> Members);

/// <summary>Sends an MLS message (and the Welcome of a commit) under a sender-chosen id.</summary>
public sealed record SendRequest(string Id, byte[] Message, byte[]? Welcome, byte[]? GroupInfo = null, byte[]? DeliveryKey = null);

/// <summary>POST /v1/groups/{groupId}/sealed: an application message signed by the epoch's delivery key, sent without the
/// device's credential.</summary>
public sealed record SealedSendRequest(string Id, byte[] Message, byte[] DeliveryKey, byte[] Signature);

/// <summary>The server accepted the message (durably) at <paramref name="Epoch"/>.</summary>
public sealed record SendResponse(string Id, ulong Epoch, bool Repeated);

/// <summary>One message waiting in the device's mailbox (also the WebSocket's push frame); <paramref name="Stamp"/> is
/// the server's franking stamp of a franked application message (kept to report it), null otherwise.</summary>
public sealed record MailboxEntry(string Type, long Sequence, string Id, byte[] Message, byte[]? Stamp = null);

/// <summary>A page of the device's mailbox, oldest first.</summary>
public sealed record MailboxResponse(IReadOnlyList<MailboxEntry> Messages);

/// <summary>A frame the device sends on the WebSocket: <c>{"type":"ack","id":…}</c> for one message or
/// <c>{"type":"ack","ids":[…]}</c> for up to <see cref="AckBatcher.MaxIds"/>.</summary>
/// <param name="Type">"ack".</param>
/// <param name="Id">The one message acknowledged; null in a batch.</param>
/// <param name="Ids">The messages acknowledged together; null for one.</param>
public sealed record ClientFrame(string Type, string? Id, IReadOnlyList<string>? Ids = null);

/// <summary>An RFC 9457 problem as the server sends it.</summary>
public sealed record ProblemBody(string? Type, string? Title, int? Status, string? Detail, string? Code, ulong? Epoch, long? MaxFileSize = null);
