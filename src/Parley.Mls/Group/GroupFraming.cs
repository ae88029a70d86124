// RFC 9420 §6 (message framing), §6.1 (content authentication), §6.2 and §6.3 (public and private
// messages): how a member frames, signs and protects what it sends in the current epoch.
using Parley.Mls.Framing;
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>Frames and protects this member's messages with the keys of <see cref="GroupState"/>'s epoch.</summary>
internal static class GroupFraming
{
    /// <summary>The wire format handshake messages use under <paramref name="options"/>.</summary>
    public static WireFormat HandshakeWireFormat(MlsGroupOptions options)
        => options.EncryptHandshakeMessages ? WireFormat.MlsPrivateMessage : WireFormat.MlsPublicMessage;

    /// <summary>Signs content sent by this member in the current epoch.</summary>
    public static AuthenticatedContent Sign(GroupState state, WireFormat wireFormat, FramedContent content)
        => MessageProtection.Sign(state.Suite, wireFormat, content, state.SignaturePrivateKey, state.Context);

    /// <summary>Protects signed content as a PublicMessage (with membership tag) or a PrivateMessage
    /// (advancing this member's sending ratchet), as its wire format says.</summary>
    public static MlsMessage Protect(GroupState state, AuthenticatedContent content, MlsGroupOptions options)
        => content.WireFormat == WireFormat.MlsPublicMessage
            ? new MlsMessage(MessageProtection.ProtectPublic(state.Suite, content, state.Context, state.Secrets.MembershipKey))
            : new MlsMessage(MessageProtection.ProtectPrivate(state.Suite, content, state.SecretTree, state.Secrets.SenderDataSecret,
                options.Padding));

    /// <summary>Frames a proposal from this member.</summary>
    public static AuthenticatedContent SignProposal(GroupState state, Proposal proposal, byte[] authenticatedData, MlsGroupOptions options)
        => Sign(state, HandshakeWireFormat(options),
            FramedContent.ForProposal(state.GroupId, state.Epoch, Sender.Member(state.OwnLeaf), authenticatedData, proposal));
}
