// RFC 9420 §6 (AuthenticatedContent), §6.1 (signing FramedContentTBS) and §5.2 (ProposalRef).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Messages;

/// <summary>Framed content with its wire format and authentication: what both PublicMessage and
/// PrivateMessage protect, and what proposal references and transcript hashes are computed over.</summary>
public sealed record AuthenticatedContent(WireFormat WireFormat, FramedContent Content, FramedContentAuthData Auth) : IMlsEncodable
{
    private const string SignatureLabel = "FramedContentTBS";

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16((ushort)WireFormat);
        Content.Encode(writer);
        Auth.Encode(writer, Content.ContentType);
    }

    public static AuthenticatedContent Decode(TlsReader reader)
    {
        var wireFormat = FramedContentTbs.ReadFramingWireFormat(reader);
        var content = FramedContent.Decode(reader);
        return new AuthenticatedContent(wireFormat, content, FramedContentAuthData.Decode(reader, content.ContentType));
    }

    /// <summary>Signs <paramref name="content"/> for sending as <paramref name="wireFormat"/>.
    /// <paramref name="context"/> is the current epoch's group context, required when the sender
    /// is a member or a new member committing. A commit's confirmation tag is added afterwards
    /// with <see cref="WithConfirmationTag"/>, since it depends on this signature.</summary>
    public static AuthenticatedContent Sign(CipherSuite suite, WireFormat wireFormat, FramedContent content,
        ReadOnlySpan<byte> signaturePrivateKey, GroupContext? context)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(content);
        var w = new TlsWriter(512);
        FramedContentTbs.Write(w, wireFormat, content, context);
        byte[] signature = suite.SignWithLabel(signaturePrivateKey, SignatureLabel, w.WrittenSpan);
        return new AuthenticatedContent(wireFormat, content, new FramedContentAuthData(signature, null));
    }

    /// <summary>Returns a copy whose auth data carries the commit's confirmation tag.</summary>
    public AuthenticatedContent WithConfirmationTag(byte[] confirmationTag)
        => this with { Auth = Auth with { ConfirmationTag = confirmationTag } };

    /// <summary>Verifies the signature with the sender's signature key; <paramref name="context"/>
    /// is required when the sender is a member or a new member committing.</summary>
    public bool Verify(CipherSuite suite, ReadOnlySpan<byte> signaturePublicKey, GroupContext? context)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var w = new TlsWriter(512);
        FramedContentTbs.Write(w, WireFormat, Content, context);
        return suite.VerifyWithLabel(signaturePublicKey, SignatureLabel, w.WrittenSpan, Auth.Signature);
    }

    /// <summary>ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent), the id by
    /// which a Commit can refer to this proposal.</summary>
    public byte[] MakeProposalRef(CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (Content.ContentType != ContentType.Proposal)
        {
            throw new InvalidOperationException("Only a proposal has a proposal reference.");
        }
        return suite.MakeProposalRef(this.ToBytes());
    }
}
