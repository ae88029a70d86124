// RFC 9420 §6.2 (encoding and decoding a public message).
//
//   membership_tag = MAC(membership_key, AuthenticatedContentTBM)
//   struct { FramedContentTBS content_tbs; FramedContentAuthData auth; } AuthenticatedContentTBM;
//
// Only member senders attach a membership tag; external and new-member senders do not.
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Framing;

public static partial class MessageProtection
{
    /// <summary>Wraps signed content (wire format mls_public_message) in a PublicMessage, adding the
    /// membership tag computed with the epoch's <paramref name="membershipKey"/> when the sender is
    /// a member. Application data cannot be sent this way.</summary>
    public static PublicMessage ProtectPublic(CipherSuite suite, AuthenticatedContent content, GroupContext context,
        ReadOnlySpan<byte> membershipKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(context);
        if (content.WireFormat != WireFormat.MlsPublicMessage)
        {
            throw new ArgumentException("The content was signed for a PrivateMessage.", nameof(content));
        }
        CheckSendable(WireFormat.MlsPublicMessage, content.Content);
        CheckSameEpoch(content.Content, context);
        CheckConfirmationTag(content);

        return content.Content.Sender.Type == SenderType.Member
            ? PublicMessage.Create(content, suite, membershipKey, context)
            : PublicMessage.Create(content);
    }

    /// <summary>Checks a received PublicMessage against the group's current <paramref name="context"/>
    /// (group id, epoch, a sender allowed to send its content type and, for a member, a leaf for which
    /// <paramref name="isMember"/> holds and a valid membership tag) and returns its content. The
    /// signature is not checked here: use <see cref="VerifySignature"/> with the sender's key.</summary>
    public static AuthenticatedContent UnprotectPublic(CipherSuite suite, PublicMessage message, GroupContext context,
        ReadOnlySpan<byte> membershipKey, Func<LeafIndex, bool>? isMember = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);
        var content = message.Content;
        CheckGroupAndEpoch(content.GroupId, content.Epoch, context, "public message");
        if (content.ContentType == ContentType.Application)
        {
            throw new MlsProtocolException(MlsError.PublicApplicationData, "Application data arrived in a PublicMessage; it must be sent encrypted.");
        }

        var sender = content.Sender;
        switch (sender.Type)
        {
            case SenderType.Member:
                if (isMember is not null && !isMember(sender.LeafIndex))
                {
                    throw new MlsProtocolException(MlsError.SenderNotMember, $"The public message's sender ({sender.LeafIndex}) is not a member of the group.");
                }
                if (!message.VerifyMembershipTag(suite, membershipKey, context))
                {
                    throw new MlsProtocolException(MlsError.MembershipTagInvalid, "The public message's membership tag is invalid.");
                }
                break;
            case SenderType.External or SenderType.NewMemberProposal when content.ContentType != ContentType.Proposal:
            case SenderType.NewMemberCommit when content.ContentType != ContentType.Commit:
                throw new MlsProtocolException(MlsError.SenderNotAllowed, $"A {sender.Type} sender cannot send a {content.ContentType}.");
            default:
                if (message.MembershipTag is not null)
                {
                    throw new MlsProtocolException(MlsError.MembershipTagUnexpected, $"A {sender.Type} sender's public message carries a membership tag.");
                }
                break;
        }
        return message.ToAuthenticatedContent();
    }

    private static void CheckConfirmationTag(AuthenticatedContent content)
    {
        bool isCommit = content.Content.ContentType == ContentType.Commit;
        if (isCommit != (content.Auth.ConfirmationTag is not null))
        {
            throw new ArgumentException(isCommit
                ? "A commit needs its confirmation tag before it is protected."
                : "Only a commit carries a confirmation tag.", nameof(content));
        }
    }
}
