// Parley server protocol v1, channels (docs/channels.md): the JSON bodies of the private and public channel
// endpoints, and their source-generated serializers.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Client.Network;

/// <summary>Registers an MLS group (already created with POST /v1/groups) as a private channel.</summary>
public sealed record CreateChannelRequest(string GroupId);

/// <summary>A private channel as the server counts it: its admins and how many subscribers (non-admin leaves) it has.</summary>
public sealed record ChannelSummaryResponse(string GroupId, IReadOnlyList<string> Admins, int Subscribers);

/// <summary>Creates an invite: an optional expiry and whether an admin must approve each join request.</summary>
public sealed record CreateInviteRequest(DateTimeOffset? ExpiresAt, bool Approval);

/// <summary>A new invite: its id and its secret token (shown once; the server keeps only its hash).</summary>
public sealed record CreateInviteResponse(string InviteId, string Token, DateTimeOffset? ExpiresAt = null, bool Approval = false);

/// <summary>One invite of a channel.</summary>
public sealed record InviteEntry(string InviteId, DateTimeOffset? ExpiresAt, bool Approval, DateTimeOffset? CreatedAt = null, bool Expired = false);

/// <summary>A channel's invites.</summary>
public sealed record InviteListResponse(IReadOnlyList<InviteEntry> Invites);

/// <summary>A join request: the joiner's pseudonymous key package (an MLSMessage).</summary>
public sealed record JoinRequest(byte[] KeyPackage);

/// <summary>A join request's id and where it stands ("pending" while the server holds it).</summary>
public sealed record JoinRequestResponse(string RequestId, string Status, string? GroupId = null);

/// <summary>A pending join request as a channel's admins see it; it lapses at <paramref name="ExpiresAt"/> (to the hour).</summary>
public sealed record PendingJoinEntry(string RequestId, byte[] KeyPackage, bool Approval, DateTimeOffset? ExpiresAt = null);

/// <summary>A channel's GroupInfo (an MLSMessage with its ratchet tree and external_pub) for joining by external commit.</summary>
public sealed record ChannelGroupInfoResponse(byte[] GroupInfo);

/// <summary>A channel's pending join requests.</summary>
public sealed record PendingJoinListResponse(IReadOnlyList<PendingJoinEntry> Requests);

/// <summary>Hands the caller's subscriber leaf to a queue: the queue's 32-byte token.</summary>
public sealed record MoveToQueueRequest(byte[] QueueToken);

/// <summary>A view token for one post.</summary>
public sealed record ViewRequest(byte[] Token);

/// <summary>How many distinct views a post has.</summary>
public sealed record ViewCountResponse(long Views);

/// <summary>Creates a public channel owned by the caller's account.</summary>
public sealed record CreatePublicChannelRequest(string Name, string? Title, string? Description);

/// <summary>A public channel admin and the account identity key readers check posts against.</summary>
public sealed record PublicChannelAdmin(string Username, byte[] IdentityKey);

/// <summary>A public channel as anyone may read it.</summary>
public sealed record PublicChannelResponse(string Name, string? Title, string? Description, bool Public, IReadOnlyList<PublicChannelAdmin> Admins,
    DateTimeOffset CreatedAt, string? Owner = null);

/// <summary>Publishes one signed public post (a new post, an edit or a deletion).</summary>
public sealed record PublishPostRequest(byte[] Post);

/// <summary>Where the server filed a published post.</summary>
public sealed record PublishPostResponse(long Sequence, string PostId, bool Repeated = false);

/// <summary>One post of a public channel: the latest signed version, whether it was deleted, and its view count.</summary>
public sealed record PublicPostEntry(long Sequence, string PostId, byte[]? Post, bool Deleted, long Views);

/// <summary>A page of a public channel's posts, oldest first.</summary>
public sealed record PublicPostListResponse(IReadOnlyList<PublicPostEntry> Posts);

/// <summary>Adds an admin to a public channel.</summary>
public sealed record AddPublicAdminRequest(string Username);

/// <summary>Source-generated JSON for the channel endpoints (camelCase, byte arrays as base64).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateChannelRequest))]
[JsonSerializable(typeof(ChannelSummaryResponse))]
[JsonSerializable(typeof(CreateInviteRequest))]
[JsonSerializable(typeof(CreateInviteResponse))]
[JsonSerializable(typeof(InviteListResponse))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(JoinRequestResponse))]
[JsonSerializable(typeof(PendingJoinListResponse))]
[JsonSerializable(typeof(ChannelGroupInfoResponse))]
[JsonSerializable(typeof(MoveToQueueRequest))]
[JsonSerializable(typeof(ViewRequest))]
[JsonSerializable(typeof(ViewCountResponse))]
[JsonSerializable(typeof(CreatePublicChannelRequest))]
[JsonSerializable(typeof(PublicChannelResponse))]
[JsonSerializable(typeof(PublishPostRequest))]
[JsonSerializable(typeof(PublishPostResponse))]
[JsonSerializable(typeof(PublicPostListResponse))]
[JsonSerializable(typeof(AddPublicAdminRequest))]
internal sealed partial class ChannelJsonContext : JsonSerializerContext;
