// RFC 9420 §6 (message framing), §12.1 (proposals) and §12.4.2 (processing a Commit): what a member
// learns from a message it processed, including its own messages echoed back (§14).
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>The outcome of processing one handshake or application message.</summary>
/// <param name="Sender">Who sent the message.</param>
/// <param name="SenderCredential">The sender's credential (leaf, external sender or joiner), if known.</param>
/// <param name="AuthenticatedData">The message's authenticated_data field.</param>
/// <param name="Epoch">The epoch the message was sent in.</param>
public abstract record ProcessedMessage(Sender Sender, Credential? SenderCredential, byte[] AuthenticatedData, ulong Epoch);

/// <summary>An application message: its plaintext.</summary>
public sealed record ApplicationMessage(Sender Sender, Credential? SenderCredential, byte[] AuthenticatedData, ulong Epoch, byte[] Data)
    : ProcessedMessage(Sender, SenderCredential, AuthenticatedData, Epoch)
{
    /// <summary>What lets a recipient prove to a third party that the sender signed this content (RFC 9420 §6.1): the
    /// FramedContentAuthData signature and the GroupContext it was signed over, encoded.</summary>
    public ContentAuthentication? Authentication { get; init; }

    // The data is plaintext: keep it out of logs.
    public override string ToString() => $"ApplicationMessage(from {Sender}, epoch {Epoch}, {Data.Length} bytes)";
}

/// <summary>A proposal, now cached under <paramref name="ProposalRef"/> for a later Commit.</summary>
public sealed record ProposalMessage(Sender Sender, Credential? SenderCredential, byte[] AuthenticatedData, ulong Epoch,
    Proposal Proposal, byte[] ProposalRef)
    : ProcessedMessage(Sender, SenderCredential, AuthenticatedData, Epoch)
{
    public override string ToString() => $"ProposalMessage({Proposal.GetType().Name} from {Sender}, epoch {Epoch})";
}

/// <summary>A message this member sent itself, echoed back by the delivery service: recognized byte for
/// byte and not processed again (its PrivateMessage key was used up when sending). Safe to ignore.</summary>
/// <param name="Sender">This member, as the sender.</param>
/// <param name="SenderCredential">The sender's credential (leaf, external sender or joiner), if known.</param>
/// <param name="AuthenticatedData">The message's authenticated_data field.</param>
/// <param name="Epoch">The epoch the message was sent in.</param>
/// <param name="ContentType">What the message carried: application data, a proposal or a Commit.</param>
public sealed record OwnMessage(Sender Sender, Credential? SenderCredential, byte[] AuthenticatedData, ulong Epoch, ContentType ContentType)
    : ProcessedMessage(Sender, SenderCredential, AuthenticatedData, Epoch)
{
    public override string ToString() => $"OwnMessage({ContentType}, epoch {Epoch})";
}

/// <summary>A Commit that was applied: the group is now at <paramref name="NewEpoch"/>.</summary>
/// <param name="Sender">Who sent the message.</param>
/// <param name="SenderCredential">The sender's credential (leaf, external sender or joiner), if known.</param>
/// <param name="AuthenticatedData">The message's authenticated_data field.</param>
/// <param name="Epoch">The epoch the Commit was sent in.</param>
/// <param name="NewEpoch">The epoch the Commit started.</param>
/// <param name="Proposals">The committed proposals with their senders, in the Commit's order.</param>
/// <param name="AddedMembers">The leaves filled by Add proposals or an external join.</param>
/// <param name="RemovedMembers">The leaves emptied by Remove proposals, with the credential each held.</param>
/// <param name="SelfRemoved">True when this member was removed: the group is no longer usable.</param>
/// <param name="ReInit">The ReInit proposal, when the Commit closes the group for reinitialization.</param>
public sealed record CommitMessage(Sender Sender, Credential? SenderCredential, byte[] AuthenticatedData, ulong Epoch,
    ulong NewEpoch,
    IReadOnlyList<CommittedProposal> Proposals,
    IReadOnlyList<LeafIndex> AddedMembers,
    IReadOnlyList<(LeafIndex Leaf, Credential Credential)> RemovedMembers,
    bool SelfRemoved,
    ReInit? ReInit)
    : ProcessedMessage(Sender, SenderCredential, AuthenticatedData, Epoch)
{
    public override string ToString()
        => $"CommitMessage(from {Sender}, epoch {Epoch} -> {NewEpoch}, {Proposals.Count} proposals{(SelfRemoved ? ", removed us" : "")})";
}

/// <summary>A proposal as a Commit covered it: by value (<paramref name="Ref"/> null) or by reference.</summary>
/// <param name="Proposal">The proposal.</param>
/// <param name="Sender">Who proposed it: the committer for proposals by value.</param>
/// <param name="Ref">The ProposalRef when the Commit listed it by reference.</param>
public sealed record CommittedProposal(Proposal Proposal, Sender Sender, byte[]? Ref)
{
    public bool Equals(CommittedProposal? other)
        => other is not null && Proposal.Equals(other.Proposal) && Sender.Equals(other.Sender)
           && (Ref is null ? other.Ref is null : other.Ref is not null && Ref.AsSpan().SequenceEqual(other.Ref));

    public override int GetHashCode() => HashCode.Combine(Proposal.Type, Sender);
}

/// <summary>A member's signature over a message's FramedContentTBS and the encoded GroupContext it covers: with the content
/// itself, anyone holding the sender's signature key can check who sent it.</summary>
public sealed record ContentAuthentication(byte[] Signature, byte[] GroupContext);
