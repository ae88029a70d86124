using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Messages;
using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>The kinds of group message the server relays.</summary>
public enum GroupMessageKind
{
    /// <summary>A PublicMessage carrying a Commit: ordered by epoch, updates the roster.</summary>
    Commit,

    /// <summary>A PublicMessage carrying a Proposal: relayed and remembered for commits by reference.</summary>
    Proposal,

    /// <summary>A PrivateMessage carrying application data: fanned out.</summary>
    Application,
}

/// <summary>A message a device sends to a group, already decoded and classified, with the Welcome
/// that accompanies a commit adding members.</summary>
/// <param name="MessageId">The sender's id for the message; a retry with the same id is not delivered twice.</param>
/// <param name="Message">The MLSMessage bytes as they will be delivered.</param>
/// <param name="PublicMessage">The decoded message when <paramref name="Kind"/> is a commit or proposal.</param>
/// <param name="GroupId">The group the message is for.</param>
/// <param name="Sender">The sending device.</param>
/// <param name="Kind">What the message carries.</param>
/// <param name="Epoch">The epoch the message was sent in.</param>
/// <param name="Welcome">The Welcome bytes that accompany a commit adding members.</param>
/// <param name="DecodedWelcome">The decoded <paramref name="Welcome"/>.</param>
/// <param name="ExpiresAt">When undelivered copies are dropped.</param>
public sealed record GroupSubmission(
    GroupId GroupId,
    DeviceId Sender,
    string MessageId,
    GroupMessageKind Kind,
    ulong Epoch,
    byte[] Message,
    PublicMessage? PublicMessage,
    byte[]? Welcome,
    Welcome? DecodedWelcome,
    DateTimeOffset ExpiresAt)
{
    /// <summary>With a commit: the GroupInfo of the epoch it starts, signed by the committer (RFC 9420 §12.4.3), from which
    /// the server learns the new GroupContext.</summary>
    public GroupInfo? GroupInfo { get; init; }

    /// <summary>With a commit (or a group's registration): the delivery key of the epoch it starts, the public half of that
    /// epoch's sealed-sender credential (docs/protocol.md, "Sealed sending"); null leaves the epoch without sealed sending.</summary>
    public byte[]? NextDeliveryKey { get; init; }

    /// <summary>For a sealed send: the delivery key whose signature over the send the endpoint verified. The rules accept it
    /// only when it is the group's key for the message's epoch. A sealed submission names no sender device: its
    /// <see cref="Sender"/> is <see cref="SealedSender"/>.</summary>
    public byte[]? SealedKey { get; init; }

    /// <summary>Whether this is a sealed send (no sending device known).</summary>
    public bool Sealed => SealedKey is not null;

    /// <summary>The stand-in sender of a sealed submission; never a real device id (those are 32 hex digits).</summary>
    public static DeviceId SealedSender { get; } = new("sealed");

    /// <summary>An external commit by a subscriber queue (<see cref="Sender"/>) into a private channel, through an invite without
    /// approval that the endpoint found live (docs/channels.md, "Joining without an admin").</summary>
    public bool ByInvite { get; init; }

    /// <summary>The key of the accepted-send record that makes a retry idempotent: SHA-256(sender ‖ "\n" ‖ message id). The
    /// message id itself is kept only with the copies still to be delivered, so once they are, nothing stored links the
    /// record, and so the sender, to the message (docs/privacy.md). A sealed send's key is SHA-256("sealed" ‖ "\n" ‖ group id ‖
    /// "\n" ‖ message id): it names no device.</summary>
    public byte[] SendKey => Sealed ? SealedSendKeyOf(GroupId, MessageId) : SendKeyOf(Sender, MessageId);

    /// <summary>The accepted-send key of message <paramref name="messageId"/> from <paramref name="sender"/>.</summary>
    public static byte[] SendKeyOf(DeviceId sender, string messageId)
        => SHA256.HashData(Encoding.UTF8.GetBytes($"{sender.Value}\n{messageId}"));

    /// <summary>The accepted-send key of sealed message <paramref name="messageId"/> to <paramref name="group"/>.</summary>
    public static byte[] SealedSendKeyOf(GroupId group, string messageId)
        => SHA256.HashData(Encoding.UTF8.GetBytes($"sealed\n{group.Value}\n{messageId}"));

    /// <summary>The proposals a commit applies (those by reference found with <paramref name="findProposal"/>, unknown ones
    /// left out) or the one a proposal carries; none for an application message.</summary>
    public IEnumerable<Proposal> Proposals(Func<byte[], (Proposal Proposal, uint SenderLeaf)?> findProposal)
    {
        ArgumentNullException.ThrowIfNull(findProposal);
        return PublicMessage?.Content switch
        {
            { Commit: { } commit } => commit.Proposals.Select(p => p.Proposal ?? findProposal(p.Reference!)?.Proposal).OfType<Proposal>(),
            { Proposal: { } proposal } => [proposal],
            _ => [],
        };
    }
}

/// <summary>Why a submission was refused.</summary>
public enum RejectionReason
{
    /// <summary>A handshake message for an epoch other than the group's current one.</summary>
    StaleEpoch,

    /// <summary>The sending device is not a member (or not the member at the sender leaf).</summary>
    NotMember,

    /// <summary>A commit the server cannot apply to its roster.</summary>
    InvalidCommit,

    /// <summary>A commit adds a device the server does not know, or one that was revoked.</summary>
    UnknownDevice,

    /// <summary>The roster would exceed the member limit.</summary>
    GroupFull,

    /// <summary>In a private channel, a device whose account is not an admin sent what only admins may send.</summary>
    NotChannelAdmin,

    /// <summary>A commit to a private channel would drop or garble its parley_channel extension.</summary>
    InvalidChannelExtension,

    /// <summary>A handshake message's signature, or a leaf node's or key package's, does not verify with the key the
    /// server holds for it.</summary>
    InvalidSignature,

    /// <summary>A commit's GroupInfo is missing or does not describe the epoch the commit starts.</summary>
    InvalidGroupInfo,

    /// <summary>A proposal a member may not send (RFC 9420 §12.1).</summary>
    InvalidProposal,

    /// <summary>A sealed send whose delivery key is not the group's for the message's epoch (or whose epoch is neither the
    /// current nor the previous one): answered exactly as for a group that does not exist.</summary>
    InvalidDeliveryCredential,
}

/// <summary>The result of a submission.</summary>
public abstract record SubmissionOutcome
{
    private SubmissionOutcome() { }

    /// <summary>Stored durably (or stored before, when <paramref name="Repeated"/>); the group is now at <paramref name="Epoch"/>.</summary>
    public sealed record Accepted(ulong Epoch, IReadOnlyList<DeviceId> Recipients, bool Repeated) : SubmissionOutcome;

    /// <summary>Refused; nothing was stored.</summary>
    public sealed record Rejected(RejectionReason Reason, string Detail, ulong CurrentEpoch) : SubmissionOutcome;

    /// <summary>There is no such group.</summary>
    public sealed record GroupNotFound : SubmissionOutcome;
}
