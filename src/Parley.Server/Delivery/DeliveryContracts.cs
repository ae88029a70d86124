namespace Parley.Server.Delivery;

/// <summary>Sends an MLSMessage to a group; a commit that adds members may carry their Welcome.</summary>
/// <param name="Id">The sender's id for the message (1–64 of A–Z a–z 0–9 _ -; a random UUID is right); retries reuse it.</param>
/// <param name="GroupInfo">With a commit: the GroupInfo of the epoch it starts (an MLSMessage), signed by the committer.</param>
/// <param name="Message">The MLSMessage bytes.</param>
/// <param name="Welcome">With a commit that adds members: their Welcome (an MLSMessage).</param>
public sealed record SendRequest(string Id, byte[] Message, byte[]? Welcome, byte[]? GroupInfo = null);

/// <summary>The message is on disk in every recipient's mailbox; the group is at <paramref name="Epoch"/>.</summary>
/// <param name="Repeated">True when this id was accepted before (nothing was stored again).</param>
/// <param name="Id">The sender's id for the message.</param>
/// <param name="Epoch">The group's epoch after the message.</param>
public sealed record SendResponse(string Id, ulong Epoch, bool Repeated);
