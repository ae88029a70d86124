namespace Parley.Server.Groups;

/// <summary>Registers a new MLS group (epoch 0) whose only member is the calling device.</summary>
/// <param name="GroupId">The MLS group_id in unpadded base64url.</param>
public sealed record CreateGroupRequest(string GroupId, ushort CipherSuite);

/// <summary>A roster entry.</summary>
public sealed record GroupMemberEntry(uint Leaf, string DeviceId);

/// <summary>A group as the server tracks it.</summary>
public sealed record GroupResponse(string GroupId, ushort CipherSuite, ulong Epoch, IReadOnlyList<GroupMemberEntry> Members);
