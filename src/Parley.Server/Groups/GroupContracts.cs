namespace Parley.Server.Groups;

/// <summary>Registers a new MLS group (epoch 0) whose only member is the calling device.</summary>
/// <param name="GroupId">The MLS group_id in unpadded base64url.</param>
/// <param name="GroupInfo">The group's GroupInfo at epoch 0 as an MLSMessage, signed by the creator's leaf 0 with the device's
/// registered key: the server checks every later handshake message against the context it starts.</param>
/// <param name="CipherSuite">The group's MLS cipher suite.</param>
/// <param name="DeliveryKey">The delivery key of epoch 0's sealed sending (32 bytes), or null for none.</param>
public sealed record CreateGroupRequest(string GroupId, ushort CipherSuite, byte[]? GroupInfo, byte[]? DeliveryKey = null);

/// <summary>A roster entry.</summary>
public sealed record GroupMemberEntry(uint Leaf, string DeviceId);

/// <summary>A group as the server tracks it.</summary>
public sealed record GroupResponse(string GroupId, ushort CipherSuite, ulong Epoch, IReadOnlyList<GroupMemberEntry> Members);
