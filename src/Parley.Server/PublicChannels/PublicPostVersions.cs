using Parley.Content;

namespace Parley.Server.PublicChannels;

/// <summary>How a verified signed post, edit or deletion changes what a channel stores under its post id; both storage
/// engines follow it inside their write. Only the author of a post edits or deletes it: another admin of the channel
/// cannot, and the operator takes posts down instead (docs/channels.md, "Public posts").</summary>
public static class PublicPostVersions
{
    /// <summary>Decides on <paramref name="post"/> given what is stored under its id (null for nothing). Returns the
    /// outcome, the post's sequence number when it already has one, and whether the stored version is to be replaced
    /// (an edit or deletion) rather than a new post appended. An edit or deletion whose author is not the stored
    /// version's author is <see cref="AppendPostOutcome.NotPostAuthor"/>.</summary>
    public static (AppendPostOutcome Outcome, long Sequence, bool Replace) Decide(PublicPostOperation operation, ReadOnlySpan<byte> post,
        (long Sequence, byte[] Post, bool Deleted, bool TakenDown)? stored)
    {
        if (stored is { } same && same.Post.AsSpan().SequenceEqual(post))
        {
            return (AppendPostOutcome.Repeated, same.Sequence, false);
        }
        if (operation == PublicPostOperation.Post)
        {
            return stored is { } taken ? (AppendPostOutcome.PostExists, taken.Sequence, false) : (AppendPostOutcome.Appended, 0, false);
        }
        if (stored is not { TakenDown: false } existing)
        {
            return (AppendPostOutcome.PostNotFound, 0, false);
        }
        if (!SameAuthor(existing.Post, post))
        {
            return (AppendPostOutcome.NotPostAuthor, existing.Sequence, false);
        }
        if (existing.Deleted)
        {
            // Deleting twice changes nothing; editing a deleted post would bring its text back.
            return (operation == PublicPostOperation.Delete ? AppendPostOutcome.Repeated : AppendPostOutcome.PostDeleted, existing.Sequence, false);
        }
        return (AppendPostOutcome.Appended, existing.Sequence, true);
    }

    // Every stored version was verified before it was stored, and every version of a post keeps its first author, so
    // the stored version's author is the post's author. Bytes that do not decode have no author anyone could match.
    private static bool SameAuthor(byte[] stored, ReadOnlySpan<byte> post)
        => PublicPost.TryDecode(stored, out PublicPost? first) && PublicPost.TryDecode(post.ToArray(), out PublicPost? next)
           && first!.Author == next!.Author;
}
