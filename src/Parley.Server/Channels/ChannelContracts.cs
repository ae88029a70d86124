namespace Parley.Server.Channels;

/// <summary>Registers an existing group (created with POST /v1/groups) as a private channel.</summary>
/// <param name="GroupId">The MLS group_id in unpadded base64url.</param>
public sealed record RegisterChannelRequest(string GroupId);

/// <summary>A private channel as its members see it: its admins by name and how many subscribers it has.</summary>
/// <param name="Subscribers">Leaves not held by devices of admin accounts (subscriber queues, and other accounts' devices).</param>
/// <param name="GroupId">The MLS group_id in unpadded base64url.</param>
/// <param name="Admins">The admins' usernames, in the channel extension's order.</param>
public sealed record ChannelResponse(string GroupId, IReadOnlyList<string> Admins, int Subscribers);

/// <summary>Creates an invite link.</summary>
/// <param name="ExpiresAt">When the link stops working; null for never.</param>
/// <param name="Approval">Whether an admin must approve each request by hand.</param>
public sealed record CreateInviteRequest(DateTimeOffset? ExpiresAt, bool Approval);

/// <summary>A new invite. <paramref name="Token"/> is shown only now: the server keeps only its SHA-256.</summary>
public sealed record InviteCreatedResponse(string InviteId, string Token, DateTimeOffset? ExpiresAt, bool Approval);

/// <summary>An invite in the admins' list (without its token).</summary>
public sealed record InviteEntry(string InviteId, DateTimeOffset? ExpiresAt, bool Approval, DateTimeOffset CreatedAt, bool Expired);

/// <summary>A channel's invites, oldest first.</summary>
public sealed record InviteListResponse(IReadOnlyList<InviteEntry> Invites);

/// <summary>Asks to join through an invite with a pseudonymous key package (MLSMessage bytes). Sent by the joiner's subscriber
/// queue, which receives the Welcome.</summary>
public sealed record CreateJoinRequest(byte[]? KeyPackage);

/// <summary>A pending join request as its queue sees it. Once answered, the request is gone: the queue then holds the Welcome
/// (added), or nothing (denied, revoked or expired).</summary>
/// <param name="Status">"pending".</param>
/// <param name="RequestId">The join request's id.</param>
/// <param name="GroupId">The channel's MLS group_id in unpadded base64url.</param>
public sealed record JoinRequestResponse(string RequestId, string Status, string GroupId);

/// <summary>A pending join request as admins see it: the key package to add (it names no one).</summary>
/// <param name="RequestId">The join request's id.</param>
/// <param name="KeyPackage">The pseudonymous key package to add (an MLSMessage).</param>
/// <param name="Approval">Whether a person approves it by hand (the invite asks for approval).</param>
/// <param name="ExpiresAt">When it lapses unanswered (to the hour).</param>
public sealed record PendingJoinRequestEntry(string RequestId, byte[] KeyPackage, bool Approval, DateTimeOffset ExpiresAt);

/// <summary>The GroupInfo of a channel's current epoch (an MLSMessage with the ratchet tree and external_pub), for joining it
/// by external commit through an invite without approval.</summary>
public sealed record ChannelGroupInfoResponse(byte[] GroupInfo);

/// <summary>A channel's pending join requests, oldest first.</summary>
public sealed record JoinRequestListResponse(IReadOnlyList<PendingJoinRequestEntry> Requests);

/// <summary>Moves the caller's leaf in a channel to a subscriber queue: 32 random bytes, as the queue's credential carries them.</summary>
public sealed record MoveToQueueRequest(byte[]? QueueToken);

/// <summary>A post view: HMAC-SHA256(device-local per-channel view key, message id), 32 bytes.</summary>
public sealed record ViewRequest(byte[]? Token);

/// <summary>How many distinct view tokens a post has.</summary>
public sealed record ViewCountResponse(long Views);
