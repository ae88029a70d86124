// RFC 9420 §6 (FramedContent).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>A message's content with its group, epoch and sender: exactly one of
/// <see cref="ApplicationData"/>, <see cref="Proposal"/> and <see cref="Commit"/> is set, as
/// <see cref="ContentType"/> says.</summary>
public sealed record FramedContent : IMlsEncodable
{
    public FramedContent(byte[] groupId, ulong epoch, Sender sender, byte[] authenticatedData,
        ContentType contentType, byte[]? applicationData, Proposal? proposal, Commit? commit)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(authenticatedData);
        CheckBody(contentType, applicationData, proposal, commit);
        GroupId = groupId;
        Epoch = epoch;
        Sender = sender;
        AuthenticatedData = authenticatedData;
        ContentType = contentType;
        ApplicationData = applicationData;
        Proposal = proposal;
        Commit = commit;
    }

    public byte[] GroupId { get; }

    public ulong Epoch { get; }

    public Sender Sender { get; }

    public byte[] AuthenticatedData { get; }

    public ContentType ContentType { get; }

    public byte[]? ApplicationData { get; }

    public Proposal? Proposal { get; }

    public Commit? Commit { get; }

    /// <summary>Frames application data.</summary>
    public static FramedContent ForApplication(byte[] groupId, ulong epoch, Sender sender, byte[] authenticatedData, byte[] applicationData)
        => new(groupId, epoch, sender, authenticatedData, ContentType.Application, applicationData, null, null);

    /// <summary>Frames a proposal.</summary>
    public static FramedContent ForProposal(byte[] groupId, ulong epoch, Sender sender, byte[] authenticatedData, Proposal proposal)
        => new(groupId, epoch, sender, authenticatedData, ContentType.Proposal, null, proposal, null);

    /// <summary>Frames a commit.</summary>
    public static FramedContent ForCommit(byte[] groupId, ulong epoch, Sender sender, byte[] authenticatedData, Commit commit)
        => new(groupId, epoch, sender, authenticatedData, ContentType.Commit, null, null, commit);

    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(GroupId);
        writer.WriteUInt64(Epoch);
        Sender.Encode(writer);
        writer.WriteOpaque(AuthenticatedData);
        writer.WriteUInt8((byte)ContentType);
        WriteBody(writer, ContentType, ApplicationData, Proposal, Commit);
    }

    public static FramedContent Decode(TlsReader reader)
    {
        byte[] groupId = reader.ReadOpaque();
        ulong epoch = reader.ReadUInt64();
        var sender = Sender.Decode(reader);
        byte[] authenticatedData = reader.ReadOpaque();
        var contentType = ReadContentType(reader);
        var (applicationData, proposal, commit) = ReadBody(reader, contentType);
        return new FramedContent(groupId, epoch, sender, authenticatedData, contentType, applicationData, proposal, commit);
    }

    /// <summary>Reads a ContentType, rejecting unknown values.</summary>
    internal static ContentType ReadContentType(TlsReader reader)
    {
        byte type = reader.ReadUInt8();
        return type is >= (byte)ContentType.Application and <= (byte)ContentType.Commit
            ? (ContentType)type
            : throw new MlsDecodeException($"Unknown content type {type}.");
    }

    /// <summary>Writes the content-type-dependent body (shared with PrivateMessageContent).</summary>
    internal static void WriteBody(TlsWriter writer, ContentType contentType, byte[]? applicationData, Proposal? proposal, Commit? commit)
    {
        switch (contentType)
        {
            case ContentType.Application:
                writer.WriteOpaque(applicationData!);
                break;
            case ContentType.Proposal:
                proposal!.Encode(writer);
                break;
            default:
                commit!.Encode(writer);
                break;
        }
    }

    /// <summary>Reads the content-type-dependent body (shared with PrivateMessageContent).</summary>
    internal static (byte[]? ApplicationData, Proposal? Proposal, Commit? Commit) ReadBody(TlsReader reader, ContentType contentType)
        => contentType switch
        {
            ContentType.Application => (reader.ReadOpaque(), null, null),
            ContentType.Proposal => (null, Proposal.Decode(reader), null),
            ContentType.Commit => (null, null, Commit.Decode(reader)),
            // PrivateMessageContent.Decode takes the type from its caller; an unknown one is bad input, not a commit.
            _ => throw new MlsDecodeException($"Unknown content type {(byte)contentType}."),
        };

    /// <summary>Throws unless exactly the body matching <paramref name="contentType"/> is present.</summary>
    internal static void CheckBody(ContentType contentType, byte[]? applicationData, Proposal? proposal, Commit? commit)
    {
        bool ok = contentType switch
        {
            ContentType.Application => applicationData is not null && proposal is null && commit is null,
            ContentType.Proposal => applicationData is null && proposal is not null && commit is null,
            ContentType.Commit => applicationData is null && proposal is null && commit is not null,
            _ => false,
        };
        if (!ok)
        {
            throw new ArgumentException($"Content of type {contentType} must carry exactly its own body.", nameof(contentType));
        }
    }

    public bool Equals(FramedContent? other)
        => other is not null
           && StructuralEquality.Bytes(GroupId, other.GroupId)
           && Epoch == other.Epoch
           && Sender.Equals(other.Sender)
           && StructuralEquality.Bytes(AuthenticatedData, other.AuthenticatedData)
           && ContentType == other.ContentType
           && StructuralEquality.Bytes(ApplicationData, other.ApplicationData)
           && Equals(Proposal, other.Proposal)
           && Equals(Commit, other.Commit);

    public override int GetHashCode() => HashCode.Combine(GroupId.Length, Epoch, Sender, ContentType);
}
