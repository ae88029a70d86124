namespace Parley.Server.Delivery;

/// <summary>Sends an MLSMessage to a group; a commit that adds members may carry their Welcome.</summary>
/// <param name="Id">The sender's id for the message (1–64 of A–Z a–z 0–9 _ -; a random UUID is right); retries reuse it.</param>
/// <param name="GroupInfo">With a commit: the GroupInfo of the epoch it starts (an MLSMessage), signed by the committer.</param>
/// <param name="Message">The MLSMessage bytes.</param>
/// <param name="Welcome">With a commit that adds members: their Welcome (an MLSMessage).</param>
/// <param name="DeliveryKey">With a commit: the delivery key of the epoch it starts (32 bytes, docs/protocol.md, "Sealed sending").</param>
public sealed record SendRequest(string Id, byte[] Message, byte[]? Welcome, byte[]? GroupInfo = null, byte[]? DeliveryKey = null);

/// <summary>Sends an application message sealed: no device credential, only the signature of the epoch's delivery key.</summary>
/// <param name="Id">The sender's id for the message; retries reuse it.</param>
/// <param name="Message">The MLSMessage, a PrivateMessage of content type application.</param>
/// <param name="DeliveryKey">The delivery key of the message's epoch (32 bytes).</param>
/// <param name="Signature">The delivery key's Ed25519 signature over the send (docs/protocol.md, "Sealed sending").</param>
public sealed record SealedSendRequest(string Id, byte[] Message, byte[] DeliveryKey, byte[] Signature);

/// <summary>The message is on disk in every recipient's mailbox; the group is at <paramref name="Epoch"/>.</summary>
/// <param name="Repeated">True when this id was accepted before (nothing was stored again).</param>
/// <param name="Id">The sender's id for the message.</param>
/// <param name="Epoch">The group's epoch after the message.</param>
public sealed record SendResponse(string Id, ulong Epoch, bool Repeated);
