using Parley.Content;
using Parley.Server.Accounts;

namespace Parley.Server.PublicChannels;

/// <summary>An admin of a public channel, with the identity key readers check post certificates against.</summary>
public sealed record PublicChannelAdmin(AccountId Account, string Username, byte[] IdentityKey);

/// <summary>A public channel: signed, unencrypted posts readable by anyone with its name.</summary>
/// <param name="Owner">The creating account: the only one that adds and removes admins, and always an admin.</param>
/// <param name="TakenDown">Taken down by the operator: nothing of it is served.</param>
/// <param name="Admins">In the order they were added (the owner first).</param>
/// <param name="Name">The channel's unique name.</param>
/// <param name="Title">The channel's title.</param>
/// <param name="Description">The channel's description.</param>
/// <param name="CreatedAt">When the channel was created.</param>
public sealed record PublicChannel(string Name, string Title, string Description, AccountId Owner, DateTimeOffset CreatedAt, bool TakenDown,
    IReadOnlyList<PublicChannelAdmin> Admins);

/// <summary>A post as stored: its place in the channel, and the latest signed version (the post, its last edit, or its deletion).</summary>
public sealed record PublicPostRecord(long Sequence, string PostId, byte[] Post, bool Deleted, long Views);

/// <summary>What became of creating a public channel.</summary>
public enum CreatePublicChannelOutcome
{
    Created,
    NameTaken,
}

/// <summary>What became of a signed post, edit or deletion.</summary>
public enum AppendPostOutcome
{
    /// <summary>Stored (a new post got the next sequence; an edit or deletion replaced the stored version).</summary>
    Appended,

    /// <summary>The same signed bytes were stored before (a retry); nothing changed.</summary>
    Repeated,

    /// <summary>A new post reuses the id of another post.</summary>
    PostExists,

    /// <summary>An edit or deletion names no (visible) post.</summary>
    PostNotFound,

    /// <summary>An edit of a deleted post.</summary>
    PostDeleted,

    /// <summary>An edit or deletion signed by another account than the post's author (another admin).</summary>
    NotPostAuthor,
    ChannelNotFound,
    TakenDown,
}

/// <summary>What became of an operator's takedown of one post.</summary>
public enum PostTakedownOutcome
{
    TakenDown,
    AlreadyTakenDown,
    PostNotFound,
}

/// <summary>Persistence of public channels, their admins, ordered posts with view counters, hashed subscriptions and
/// the operator's takedowns.</summary>
public interface IPublicChannelStore
{
    /// <summary>Creates a channel whose owner and first admin is <paramref name="owner"/>, unless the name is taken.</summary>
    Task<CreatePublicChannelOutcome> CreateAsync(string name, string title, string description, AccountId owner, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>The channel (taken down or not), or null.</summary>
    Task<PublicChannel?> FindAsync(string name, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="account"/> an admin; false when the channel does not exist.</summary>
    Task<bool> AddAdminAsync(string name, AccountId account, CancellationToken cancellationToken);

    /// <summary>Removes an admin (never the owner); false when it was not one.</summary>
    Task<bool> RemoveAdminAsync(string name, AccountId account, CancellationToken cancellationToken);

    /// <summary>Stores a verified signed post, edit or deletion; a new post takes the channel's next sequence number.</summary>
    Task<(AppendPostOutcome Outcome, long Sequence)> AppendAsync(string name, string postId, PublicPostOperation operation, byte[] post,
        CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> posts after <paramref name="after"/> in order, without taken-down ones.</summary>
    Task<IReadOnlyList<PublicPostRecord>> ReadPostsAsync(string name, long after, int limit, CancellationToken cancellationToken);

    /// <summary>Adds one to a visible post's view counter; false when there is no such post.</summary>
    Task<bool> CountViewAsync(string name, string postId, CancellationToken cancellationToken);

    /// <summary>Takes the channel down or restores it; false when nothing changed (no such channel, or already so).</summary>
    Task<bool> SetTakenDownAsync(string name, bool takenDown, CancellationToken cancellationToken);

    /// <summary>Takes one post down: it is no longer served, and cannot be edited.</summary>
    Task<PostTakedownOutcome> TakeDownPostAsync(string name, string postId, CancellationToken cancellationToken);
}
