// RFC 9420 §6.2 (encoding and decoding a public message; the membership tag).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Messages;

/// <summary>Signed but unencrypted framed content. Members also attach a membership tag,
/// MAC(membership_key, AuthenticatedContentTBM), proving they hold the epoch's secrets.</summary>
public sealed record PublicMessage(FramedContent Content, FramedContentAuthData Auth, byte[]? MembershipTag) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        if ((Content.Sender.Type == SenderType.Member) != (MembershipTag is not null))
        {
            throw new InvalidOperationException("A public message carries a membership tag exactly when its sender is a member.");
        }
        Content.Encode(writer);
        Auth.Encode(writer, Content.ContentType);
        if (MembershipTag is not null)
        {
            writer.WriteOpaque(MembershipTag);
        }
    }

    public static PublicMessage Decode(TlsReader reader)
    {
        var content = FramedContent.Decode(reader);
        var auth = FramedContentAuthData.Decode(reader, content.ContentType);
        byte[]? membershipTag = content.Sender.Type == SenderType.Member ? reader.ReadOpaque() : null;
        return new PublicMessage(content, auth, membershipTag);
    }

    /// <summary>Wraps content from a sender that is not a member (no membership tag).</summary>
    public static PublicMessage Create(AuthenticatedContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        CheckWireFormat(content);
        if (content.Content.Sender.Type == SenderType.Member)
        {
            throw new ArgumentException("A member's public message needs a membership tag.", nameof(content));
        }
        return new PublicMessage(content.Content, content.Auth, null);
    }

    /// <summary>Wraps content from a member, computing its membership tag with the epoch's
    /// membership key and group context.</summary>
    public static PublicMessage Create(AuthenticatedContent content, CipherSuite suite, ReadOnlySpan<byte> membershipKey, GroupContext context)
    {
        ArgumentNullException.ThrowIfNull(content);
        CheckWireFormat(content);
        if (content.Content.Sender.Type != SenderType.Member)
        {
            return Create(content);
        }
        byte[] tag = ComputeMembershipTag(suite, membershipKey, content.Content, content.Auth, context);
        return new PublicMessage(content.Content, content.Auth, tag);
    }

    /// <summary>The authenticated content this message carries (wire format mls_public_message).</summary>
    public AuthenticatedContent ToAuthenticatedContent() => new(WireFormat.MlsPublicMessage, Content, Auth);

    /// <summary>MAC(membership_key, AuthenticatedContentTBM), where AuthenticatedContentTBM is
    /// FramedContentTBS (as a public message) followed by FramedContentAuthData.</summary>
    public static byte[] ComputeMembershipTag(CipherSuite suite, ReadOnlySpan<byte> membershipKey,
        FramedContent content, FramedContentAuthData auth, GroupContext context)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(auth);
        ArgumentNullException.ThrowIfNull(context);
        var w = new TlsWriter(1024);
        FramedContentTbs.Write(w, WireFormat.MlsPublicMessage, content, context);
        auth.Encode(w, content.ContentType);
        return suite.Mac(membershipKey, w.WrittenSpan);
    }

    /// <summary>Checks the membership tag in constant time; false when there is none.</summary>
    public bool VerifyMembershipTag(CipherSuite suite, ReadOnlySpan<byte> membershipKey, GroupContext context)
    {
        if (MembershipTag is null)
        {
            return false;
        }
        byte[] expected = ComputeMembershipTag(suite, membershipKey, Content, Auth, context);
        return CipherSuite.FixedTimeEquals(expected, MembershipTag);
    }

    private static void CheckWireFormat(AuthenticatedContent content)
    {
        if (content.WireFormat != WireFormat.MlsPublicMessage)
        {
            throw new ArgumentException("Content signed for a private message cannot be sent as a public message.", nameof(content));
        }
    }

    public bool Equals(PublicMessage? other)
        => other is not null
           && Content.Equals(other.Content)
           && Auth.Equals(other.Auth)
           && StructuralEquality.Bytes(MembershipTag, other.MembershipTag);

    public override int GetHashCode() => HashCode.Combine(Content, MembershipTag?.Length);
}
