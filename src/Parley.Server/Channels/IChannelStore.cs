using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Channels;

/// <summary>A private channel's admin set and size as members see it.</summary>
/// <param name="Admins">The admins' usernames, in the channel extension's order.</param>
/// <param name="Subscribers">Leaves held by devices of accounts that are not admins.</param>
/// <param name="Group">The channel's group.</param>
/// <param name="AdminAccounts">The admins' accounts, in the channel extension's order.</param>
public sealed record ChannelInfo(GroupId Group, IReadOnlyList<AccountId> AdminAccounts, IReadOnlyList<string> Admins, int Subscribers);

/// <summary>An invite link's server side: only SHA-256 of its token is kept.</summary>
/// <param name="ExpiresAt">When joining through it stops working; null for never.</param>
/// <param name="Approval">Whether an admin approves each request by hand (else admin clients add requesters on sync).</param>
/// <param name="CipherSuite">The channel group's cipher suite (read from the group; ignored when storing).</param>
/// <param name="InviteId">The invite's id.</param>
/// <param name="Group">The channel's group.</param>
/// <param name="TokenHash">SHA-256 of the invite token.</param>
/// <param name="CreatedAt">When the invite was created.</param>
public sealed record ChannelInvite(string InviteId, GroupId Group, byte[] TokenHash, bool Approval, DateTimeOffset? ExpiresAt,
    DateTimeOffset CreatedAt, ushort CipherSuite = 0);

/// <summary>A pending request to join a channel through an invite, with the pseudonymous key package to add. It names no
/// device: the joiner's anonymous queue receives the Welcome, and the row is deleted once the request is answered (added,
/// denied, or its invite revoked) or expires.</summary>
/// <param name="Queue">The joiner's subscriber queue (docs/channels.md, "Subscriber queues"): the pseudonymous leaf is mapped to
/// it when added, and the Welcome goes to it.</param>
/// <param name="RequestId">The request's id.</param>
/// <param name="Group">The channel's group.</param>
/// <param name="InviteId">The invite the request came through.</param>
/// <param name="KeyPackageRef">The KeyPackageRef of the key package, which the admin's commit and its Welcome name.</param>
/// <param name="Approval">Whether an admin approves it by hand (copied from the invite).</param>
/// <param name="KeyPackage">The MLSMessage key package.</param>
/// <param name="ExpiresAt">When the request lapses, rounded up to the hour so it does not record when it was made.</param>
public sealed record JoinRequest(string RequestId, GroupId Group, string InviteId, DeviceId Queue, byte[] KeyPackageRef, byte[] KeyPackage,
    bool Approval, DateTimeOffset ExpiresAt);

/// <summary>What became of registering a group as a private channel.</summary>
public enum RegisterChannelOutcome
{
    Registered,
    AlreadyChannel,

    /// <summary>No such group, or the caller is not in it.</summary>
    NotMember,

    /// <summary>The group holds devices of other accounts: a conversation cannot be turned into a channel.</summary>
    OtherMembers,
}

/// <summary>What became of a join request.</summary>
public enum JoinRequestOutcome
{
    Created,

    /// <summary>The same queue sent the same key package before: the earlier request is returned.</summary>
    Repeated,
    InviteNotFound,
    InviteExpired,
    AlreadyMember,
    TooManyPending,

    /// <summary>Another queue's request carries the same key package.</summary>
    KeyPackageTaken,
}

/// <summary>Persistence of private channels: which groups are channels and their admin accounts, invites (by token
/// hash), join requests, and per-post view tokens (hashed). The admin set also changes inside group submissions,
/// from accepted commits (<see cref="ChannelEffects"/>), and the rules read it there (<see cref="ChannelRuleFacts"/>).</summary>
public interface IChannelStore
{
    /// <summary>Makes <paramref name="group"/> a channel whose only admin is <paramref name="account"/>, if
    /// <paramref name="caller"/> is a member and every member is a device of that account.</summary>
    Task<RegisterChannelOutcome> RegisterAsync(GroupId group, DeviceId caller, AccountId account, CancellationToken cancellationToken);

    /// <summary>The channel's admins and subscriber count, or null when the group is not a channel.</summary>
    Task<ChannelInfo?> FindAsync(GroupId group, CancellationToken cancellationToken);

    /// <summary>The channel's admin accounts (a cheap lookup), or null when the group is not a channel.</summary>
    Task<IReadOnlyList<AccountId>?> AdminsAsync(GroupId group, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="device"/> holds a leaf of the group (a cheap check for large channels).</summary>
    Task<bool> IsMemberAsync(GroupId group, DeviceId device, CancellationToken cancellationToken);

    /// <summary>Hands every leaf <paramref name="device"/> holds in the channel to <paramref name="queue"/> (a subscriber who
    /// joined before queues existed moves to one); false when the device holds none.</summary>
    Task<bool> MoveToQueueAsync(GroupId group, DeviceId device, DeviceId queue, CancellationToken cancellationToken);

    /// <summary>The group's member devices that belong to admin accounts; null when the group is not a channel.</summary>
    Task<IReadOnlySet<DeviceId>?> AdminDevicesAsync(GroupId group, CancellationToken cancellationToken);

    /// <summary>Stores a new invite.</summary>
    Task CreateInviteAsync(ChannelInvite invite, CancellationToken cancellationToken);

    /// <summary>The channel's invites, oldest first (expired ones included until they are swept).</summary>
    Task<IReadOnlyList<ChannelInvite>> ListInvitesAsync(GroupId group, CancellationToken cancellationToken);

    /// <summary>Deletes the invite and its pending requests (denying them); false when the channel has no such invite.</summary>
    Task<bool> RevokeInviteAsync(GroupId group, string inviteId, CancellationToken cancellationToken);

    /// <summary>The invite whose token hashes to <paramref name="tokenHash"/>, or null.</summary>
    Task<ChannelInvite?> FindInviteAsync(byte[] tokenHash, CancellationToken cancellationToken);

    /// <summary>Stores a pending join request through the invite with <paramref name="tokenHash"/>, unless the invite is
    /// gone or expired at <paramref name="now"/>, the queue is a member, or the channel has <paramref name="maxPending"/>
    /// pending requests. Returns the stored request (the earlier one when repeated).</summary>
    Task<(JoinRequestOutcome Outcome, JoinRequest? Request)> CreateJoinRequestAsync(JoinRequest request, byte[] tokenHash, DateTimeOffset now,
        int maxPending, CancellationToken cancellationToken);

    /// <summary>The channel's pending, unexpired requests, oldest first.</summary>
    Task<IReadOnlyList<JoinRequest>> ListPendingRequestsAsync(GroupId group, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Denies a pending request by deleting it; false when the channel has no such pending request.</summary>
    Task<bool> DenyRequestAsync(GroupId group, string requestId, CancellationToken cancellationToken);

    /// <summary>A pending request by id (unexpired at <paramref name="now"/>), or null once it was answered.</summary>
    Task<JoinRequest?> FindRequestAsync(string requestId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The GroupInfo (an MLSMessage, with the ratchet tree and external_pub) of the channel's current epoch, as its
    /// last committer uploaded it, or null when the last commit brought none with both.</summary>
    Task<byte[]?> FindGroupInfoAsync(GroupId group, CancellationToken cancellationToken);

    /// <summary>Counts a view of a post once per token hash; false when that hash was counted before.</summary>
    Task<bool> AddViewAsync(GroupId group, string messageId, byte[] tokenHash, CancellationToken cancellationToken);

    /// <summary>How many distinct view tokens a post has.</summary>
    Task<long> CountViewsAsync(GroupId group, string messageId, CancellationToken cancellationToken);

    /// <summary>Deletes expired join requests and invites that expired before <paramref name="now"/> minus the grace during
    /// which they still answer "expired"; returns how many rows went.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset now, TimeSpan grace, CancellationToken cancellationToken);
}
