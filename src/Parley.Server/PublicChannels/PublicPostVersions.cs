using Parley.Content;

namespace Parley.Server.PublicChannels;

/// <summary>How a verified signed post, edit or deletion changes what a channel stores under its post id; both storage
/// engines follow it inside their write.</summary>
public static class PublicPostVersions
{
    /// <summary>Decides on <paramref name="post"/> given what is stored under its id (null for nothing). Returns the
    /// outcome, the post's sequence number when it already has one, and whether the stored version is to be replaced
    /// (an edit or deletion) rather than a new post appended.</summary>
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
        if (existing.Deleted)
        {
            // Deleting twice changes nothing; editing a deleted post would bring its text back.
            return (operation == PublicPostOperation.Delete ? AppendPostOutcome.Repeated : AppendPostOutcome.PostDeleted, existing.Sequence, false);
        }
        return (AppendPostOutcome.Appended, existing.Sequence, true);
    }
}
