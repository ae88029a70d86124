// A conversation as this device knows it: a 1:1 chat or a group, each one MLS group.
using Parley.Content;

namespace Parley.Client.Conversations;

/// <summary>An account in a conversation and the devices (MLS leaves) it has there.</summary>
/// <param name="Username">The account's user name (lower case).</param>
/// <param name="DeviceIds">The account's device ids in the group (32 hex digits each).</param>
public sealed record ConversationMember(string Username, IReadOnlyList<string> DeviceIds);

/// <summary>A conversation's decrypted metadata. Its MLS group state is stored beside it, separately encrypted.</summary>
/// <param name="Id">The local id (never shown; see <see cref="SharedId"/>).</param>
/// <param name="Kind">1:1 or group.</param>
/// <param name="DisplayName">The name shown for it (the peer's name for a 1:1 chat, the group title otherwise).</param>
/// <param name="GroupId">The MLS group id.</param>
/// <param name="DisappearingTimer">Messages disappear this long after they are sent or received; null when off.</param>
/// <param name="Members">The accounts in the conversation, as this device last learned them.</param>
/// <param name="CreatedAt">When this device created or joined it.</param>
/// <param name="LastActivityAt">When a message was last added.</param>
/// <param name="UnreadCount">Incoming messages not yet marked read.</param>
public sealed record Conversation(
    ConversationId Id,
    ConversationKind Kind,
    string DisplayName,
    byte[] GroupId,
    TimeSpan? DisappearingTimer,
    IReadOnlyList<ConversationMember> Members,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActivityAt,
    int UnreadCount)
{
    /// <summary>The id every member sees the same: the MLS group id in lower-case hex (32 digits). People may name
    /// the conversation by any unambiguous prefix of at least <see cref="MinimumIdPrefix"/> digits.</summary>
    public string SharedId => SharedIdOf(GroupId);

    /// <summary>The fewest hex digits of a <see cref="SharedId"/> that name a conversation.</summary>
    public const int MinimumIdPrefix = 6;

    /// <summary>The shared id of the conversation on MLS group <paramref name="groupId"/>.</summary>
    public static string SharedIdOf(byte[] groupId) => Convert.ToHexStringLower(groupId);

    /// <summary>True when <paramref name="text"/> could be (a prefix of) a shared id.</summary>
    public static bool IsIdPrefix(string text) => text.Length >= MinimumIdPrefix && text.All(char.IsAsciiHexDigit);

    /// <summary>The user name of the account that owns <paramref name="deviceId"/>, if a member lists it.</summary>
    public string? UsernameOf(string deviceId)
    {
        foreach (var member in Members)
        {
            foreach (string id in member.DeviceIds)
            {
                if (string.Equals(id, deviceId, StringComparison.Ordinal))
                {
                    return member.Username;
                }
            }
        }
        return null;
    }
}
