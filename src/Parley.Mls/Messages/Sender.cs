// RFC 9420 §6 (Sender).
using Parley.Mls.Codec;
using Parley.Mls.Tree;

namespace Parley.Mls.Messages;

/// <summary>Who sent a message, and so which key verifies it.</summary>
public enum SenderType : byte
{
    Member = 1,
    External = 2,
    NewMemberProposal = 3,
    NewMemberCommit = 4,
}

/// <summary>The sender of a FramedContent: a member by leaf index, an external sender by its index
/// in the external_senders extension, or a client joining the group.</summary>
public sealed record Sender : IMlsEncodable
{
    private Sender(SenderType type, uint index)
    {
        Type = type;
        Index = index;
    }

    public SenderType Type { get; }

    /// <summary>The leaf index (member) or external sender index (external); 0 otherwise.</summary>
    public uint Index { get; }

    /// <summary>The member's leaf; throws for other sender types.</summary>
    public LeafIndex LeafIndex => Type == SenderType.Member
        ? new LeafIndex(Index)
        : throw new InvalidOperationException($"A {Type} sender has no leaf index.");

    /// <summary>A member of the group at <paramref name="leaf"/>.</summary>
    public static Sender Member(LeafIndex leaf) => new(SenderType.Member, leaf.Value);

    /// <summary>The external sender at <paramref name="senderIndex"/> in the external_senders extension.</summary>
    public static Sender External(uint senderIndex) => new(SenderType.External, senderIndex);

    /// <summary>A client proposing its own addition.</summary>
    public static Sender NewMemberProposal { get; } = new(SenderType.NewMemberProposal, 0);

    /// <summary>A client joining by external commit.</summary>
    public static Sender NewMemberCommit { get; } = new(SenderType.NewMemberCommit, 0);

    /// <summary>Whether FramedContentTBS covers the GroupContext for this sender (member and new_member_commit).</summary>
    public bool SignsGroupContext => Type is SenderType.Member or SenderType.NewMemberCommit;

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt8((byte)Type);
        if (Type is SenderType.Member or SenderType.External)
        {
            writer.WriteUInt32(Index);
        }
    }

    public static Sender Decode(TlsReader reader)
    {
        byte type = reader.ReadUInt8();
        return (SenderType)type switch
        {
            SenderType.Member => new Sender(SenderType.Member, reader.ReadUInt32()),
            SenderType.External => new Sender(SenderType.External, reader.ReadUInt32()),
            SenderType.NewMemberProposal => NewMemberProposal,
            SenderType.NewMemberCommit => NewMemberCommit,
            _ => throw new MlsDecodeException($"Unknown sender type {type}."),
        };
    }

    public override string ToString() => Type is SenderType.Member or SenderType.External ? $"{Type} {Index}" : Type.ToString();
}
