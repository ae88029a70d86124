// RFC 9420 §6.3.1 (content encryption: PrivateMessageContent).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The plaintext of a PrivateMessage's ciphertext: the content body (as its content type
/// says), the auth data, and <see cref="PaddingLength"/> zero bytes.</summary>
public sealed record PrivateMessageContent : IMlsEncodable
{
    public PrivateMessageContent(ContentType contentType, byte[]? applicationData, Proposal? proposal, Commit? commit,
        FramedContentAuthData auth, int paddingLength)
    {
        FramedContent.CheckBody(contentType, applicationData, proposal, commit);
        ArgumentNullException.ThrowIfNull(auth);
        ArgumentOutOfRangeException.ThrowIfNegative(paddingLength);
        ContentType = contentType;
        ApplicationData = applicationData;
        Proposal = proposal;
        Commit = commit;
        Auth = auth;
        PaddingLength = paddingLength;
    }

    public ContentType ContentType { get; }

    public byte[]? ApplicationData { get; }

    public Proposal? Proposal { get; }

    public Commit? Commit { get; }

    public FramedContentAuthData Auth { get; }

    /// <summary>Number of zero bytes after the auth data.</summary>
    public int PaddingLength { get; }

    /// <summary>The body and auth of <paramref name="content"/>, padded with <paramref name="paddingLength"/> zeros.</summary>
    public static PrivateMessageContent From(AuthenticatedContent content, int paddingLength)
    {
        ArgumentNullException.ThrowIfNull(content);
        var c = content.Content;
        return new PrivateMessageContent(c.ContentType, c.ApplicationData, c.Proposal, c.Commit, content.Auth, paddingLength);
    }

    public void Encode(TlsWriter writer)
    {
        FramedContent.WriteBody(writer, ContentType, ApplicationData, Proposal, Commit);
        Auth.Encode(writer, ContentType);
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        for (int left = PaddingLength; left > 0; left -= zeros.Length)
        {
            writer.WriteBytes(zeros[..Math.Min(left, zeros.Length)]);
        }
    }

    /// <summary>Decodes a decrypted plaintext of a PrivateMessage of type <paramref name="contentType"/>;
    /// the bytes after the auth data are padding and must all be zero (RFC 9420 §6.3.1).</summary>
    public static PrivateMessageContent Decode(ReadOnlyMemory<byte> plaintext, ContentType contentType)
    {
        var reader = new TlsReader(plaintext);
        var (applicationData, proposal, commit) = FramedContent.ReadBody(reader, contentType);
        var auth = FramedContentAuthData.Decode(reader, contentType);
        var padding = plaintext.Span[reader.Position..];
        if (padding.ContainsAnyExcept((byte)0))
        {
            throw new MlsDecodeException("Private message padding contains a non-zero byte.");
        }
        return new PrivateMessageContent(contentType, applicationData, proposal, commit, auth, padding.Length);
    }

    /// <summary>Reassembles the authenticated content, given the framing fields from the
    /// PrivateMessage and the sender from the decrypted SenderData.</summary>
    public AuthenticatedContent ToAuthenticatedContent(byte[] groupId, ulong epoch, Sender sender, byte[] authenticatedData)
        => new(
            WireFormat.MlsPrivateMessage,
            new FramedContent(groupId, epoch, sender, authenticatedData, ContentType, ApplicationData, Proposal, Commit),
            Auth);

    public bool Equals(PrivateMessageContent? other)
        => other is not null
           && ContentType == other.ContentType
           && StructuralEquality.Bytes(ApplicationData, other.ApplicationData)
           && Equals(Proposal, other.Proposal)
           && Equals(Commit, other.Commit)
           && Auth.Equals(other.Auth)
           && PaddingLength == other.PaddingLength;

    public override int GetHashCode() => HashCode.Combine(ContentType, Auth, PaddingLength);

    // Application data is plaintext: keep it out of logs.
    public override string ToString() => $"PrivateMessageContent({ContentType}, padding {PaddingLength})";
}
