namespace Parley.Server.PublicChannels;

/// <summary>Creates a public channel; the caller's account owns it and is its first admin.</summary>
/// <param name="Name">Username syntax: 3–32 of a–z 0–9 _ . - (folded to lower case), unique among public channels.</param>
/// <param name="Title">The channel's title.</param>
/// <param name="Description">The channel's description.</param>
public sealed record CreatePublicChannelRequest(string? Name, string? Title, string? Description);

/// <summary>An admin as readers see it: the identity key that certifies the devices signing its posts.</summary>
public sealed record PublicChannelAdminEntry(string Username, byte[] IdentityKey);

/// <summary>A public channel as anyone sees it. <paramref name="Public"/> is always true: posts are not encrypted.</summary>
/// <param name="Owner">The owner's username (also the first of <paramref name="Admins"/>).</param>
/// <param name="Name">The channel's unique name.</param>
/// <param name="Title">The channel's title.</param>
/// <param name="Description">The channel's description.</param>
/// <param name="Public">Always true.</param>
/// <param name="Admins">The admins, the owner first.</param>
/// <param name="CreatedAt">When the channel was created.</param>
public sealed record PublicChannelResponse(string Name, string Title, string Description, bool Public,
    IReadOnlyList<PublicChannelAdminEntry> Admins, DateTimeOffset CreatedAt, string Owner);

/// <summary>A signed <c>PublicPost</c> (post, edit or deletion), encoded as in docs/channels.md.</summary>
public sealed record PublishRequest(byte[]? Post);

/// <summary>Where the post stands: its place in the channel, and whether the same bytes were stored before.</summary>
public sealed record PublishResponse(long Sequence, string PostId, bool Repeated);

/// <summary>A post in a reader's page: the latest signed version (the post, its last edit, or its deletion).</summary>
public sealed record PublicPostEntry(long Sequence, string PostId, byte[] Post, bool Deleted, long Views);

/// <summary>A page of posts, oldest first.</summary>
public sealed record PublicPostsResponse(IReadOnlyList<PublicPostEntry> Posts);

/// <summary>Names an account to make an admin.</summary>
public sealed record AddPublicChannelAdminRequest(string? Username);

/// <summary>The operator's reason for a takedown or restore (kept in the audit log only).</summary>
public sealed record TakedownRequest(string? Reason);
