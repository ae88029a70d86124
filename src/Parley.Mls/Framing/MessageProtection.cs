// RFC 9420 §6.1 (content authentication). The public and private framings are in
// MessageProtection.PublicMessage.cs (§6.2) and MessageProtection.PrivateMessage.cs (§6.3).
//
//   FramedContentAuthData.signature = SignWithLabel(., "FramedContentTBS", FramedContentTBS)
//
// FramedContentTBS carries the GroupContext when the sender is a member or a new member
// committing; a commit's confirmation_tag depends on the signature (through the confirmed
// transcript hash), so it is attached after signing with AuthenticatedContent.WithConfirmationTag.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Framing;

/// <summary>Turns FramedContent into signed AuthenticatedContent and that into PublicMessages and
/// PrivateMessages, and back. Every receive-side failure throws <see cref="MlsProtocolException"/>
/// (or <see cref="MlsDecodeException"/> for bytes that do not decode) and leaves the epoch's key
/// state as a legitimate message would find it.</summary>
public static partial class MessageProtection
{
    private const string SignatureLabel = "FramedContentTBS";

    /// <summary>Signs <paramref name="content"/> for sending as <paramref name="wireFormat"/>.
    /// <paramref name="context"/> is the epoch's group context, required when the sender is a member
    /// or a new member committing. A commit must then get its confirmation tag with
    /// <see cref="AuthenticatedContent.WithConfirmationTag"/> before it is protected.</summary>
    public static AuthenticatedContent Sign(CipherSuite suite, WireFormat wireFormat, FramedContent content,
        ReadOnlySpan<byte> signaturePrivateKey, GroupContext? context)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(content);
        CheckSendable(wireFormat, content);
        if (content.Sender.SignsGroupContext)
        {
            ArgumentNullException.ThrowIfNull(context);
            CheckSameEpoch(content, context);
        }

        var tbs = WriteTbs(wireFormat, content, context);
        byte[] signature;
        try
        {
            signature = suite.SignWithLabelInPlace(signaturePrivateKey, SignatureLabel, tbs.Written, CipherSuite.LabelHeaderRoom);
        }
        finally
        {
            Release(wireFormat, tbs);
        }
        return new AuthenticatedContent(wireFormat, content, new FramedContentAuthData(signature, null));
    }

    /// <summary>Checks the signature of received content with the sender's signature public key;
    /// <paramref name="context"/> is required when the sender is a member or a new member committing.
    /// Throws <see cref="MlsProtocolException"/> when the signature does not verify.</summary>
    public static void VerifySignature(CipherSuite suite, AuthenticatedContent content,
        ReadOnlySpan<byte> signaturePublicKey, GroupContext? context)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(content);
        if (content.Content.Sender.SignsGroupContext && context is null)
        {
            throw new ArgumentNullException(nameof(context), $"A {content.Content.Sender.Type} sender signs the group context.");
        }

        var tbs = WriteTbs(content.WireFormat, content.Content, context);
        bool valid;
        try
        {
            valid = suite.VerifyWithLabelInPlace(signaturePublicKey, SignatureLabel, tbs.Written, CipherSuite.LabelHeaderRoom,
                content.Auth.Signature);
        }
        finally
        {
            Release(content.WireFormat, tbs);
        }
        if (!valid)
        {
            throw new MlsProtocolException(MlsError.SignatureInvalid, $"The signature of the {Describe(content.Content)} does not verify.");
        }
    }

    // FramedContentTBS in a pooled writer sized for it up front, after room for the label header: large
    // application data is copied once, and signed or verified where it lies (SignWithLabelInPlace).
    private static TlsWriter WriteTbs(WireFormat wireFormat, FramedContent content, GroupContext? context)
    {
        var w = TlsWriter.Pooled(CipherSuite.LabelHeaderRoom + EstimateTbsLength(content, context));
        w.Skip(CipherSuite.LabelHeaderRoom);
        FramedContentTbs.Write(w, wireFormat, content, context);
        return w;
    }

    // The TBS of a PrivateMessage holds its plaintext: wiped before the buffer goes back to the pool.
    private static void Release(WireFormat wireFormat, TlsWriter tbs) => tbs.Release(wipe: wireFormat == WireFormat.MlsPrivateMessage);

    private static int EstimateTbsLength(FramedContent content, GroupContext? context)
    {
        long length = 64L + content.GroupId.Length + content.AuthenticatedData.Length + (content.ApplicationData?.Length ?? 512);
        if (context is not null && content.Sender.SignsGroupContext)
        {
            length += 64L + context.GroupId.Length + context.TreeHash.Length + context.ConfirmedTranscriptHash.Length
                      + 64L * context.Extensions.Count;
        }
        return (int)Math.Min(length, int.MaxValue / 2);
    }

    // RFC 9420 §6.2: "Application messages MUST be protected as PrivateMessages"; §6.3: a
    // PrivateMessage's sender is always a member (its leaf index travels in the SenderData).
    private static void CheckSendable(WireFormat wireFormat, FramedContent content)
    {
        switch (wireFormat)
        {
            case WireFormat.MlsPublicMessage when content.ContentType == ContentType.Application:
                throw new ArgumentException("Application data must be sent as a PrivateMessage.", nameof(content));
            case WireFormat.MlsPublicMessage:
                CheckSenderMayFrame(content);
                break;
            case WireFormat.MlsPrivateMessage when content.Sender.Type != SenderType.Member:
                throw new ArgumentException($"A {content.Sender.Type} sender cannot send a PrivateMessage.", nameof(content));
            case WireFormat.MlsPrivateMessage:
                break;
            default:
                throw new ArgumentException($"Wire format {wireFormat} does not carry framed content.", nameof(wireFormat));
        }
    }

    // RFC 9420 §6: external and new_member_proposal senders send proposals only, and a
    // new_member_commit sender a commit only.
    private static void CheckSenderMayFrame(FramedContent content)
    {
        bool allowed = content.Sender.Type switch
        {
            SenderType.Member => true,
            SenderType.External or SenderType.NewMemberProposal => content.ContentType == ContentType.Proposal,
            SenderType.NewMemberCommit => content.ContentType == ContentType.Commit,
            _ => false,
        };
        if (!allowed)
        {
            throw new ArgumentException($"A {content.Sender.Type} sender cannot send a {content.ContentType}.", nameof(content));
        }
    }

    private static void CheckSameEpoch(FramedContent content, GroupContext context)
    {
        if (content.Epoch != context.Epoch || !content.GroupId.AsSpan().SequenceEqual(context.GroupId))
        {
            throw new ArgumentException("The content is framed for another group or epoch than the group context.", nameof(content));
        }
    }

    // Receive side: the framing's group and epoch must be the group's current ones.
    private static void CheckGroupAndEpoch(ReadOnlySpan<byte> groupId, ulong epoch, GroupContext context, string what)
    {
        if (!groupId.SequenceEqual(context.GroupId))
        {
            throw new MlsProtocolException(MlsError.WrongGroup, $"The {what} is for another group.");
        }
        if (epoch != context.Epoch)
        {
            throw new MlsProtocolException(MlsError.WrongEpoch, $"The {what} is for epoch {epoch}, but the group is at epoch {context.Epoch}.");
        }
    }

    private static string Describe(FramedContent content) => content.ContentType switch
    {
        ContentType.Application => "application message",
        ContentType.Proposal => "proposal",
        _ => "commit",
    };
}
