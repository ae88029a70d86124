// RFC 9420 §12.4 (Commit: ProposalOrRef).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>How a Commit lists a proposal: by value, or by reference to one sent earlier in the epoch.</summary>
public enum ProposalOrRefType : byte
{
    Proposal = 1,
    Reference = 2,
}

/// <summary>A proposal in a Commit: exactly one of <see cref="Proposal"/> and <see cref="Reference"/> is set.</summary>
public sealed record ProposalOrRef : IMlsEncodable
{
    /// <summary>A proposal included by value.</summary>
    public ProposalOrRef(Proposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        Proposal = proposal;
    }

    /// <summary>A proposal included by its ProposalRef.</summary>
    public ProposalOrRef(byte[] reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        Reference = reference;
    }

    public ProposalOrRefType Type => Proposal is not null ? ProposalOrRefType.Proposal : ProposalOrRefType.Reference;

    public Proposal? Proposal { get; }

    /// <summary>The ProposalRef (RFC 9420 §5.2) of a proposal sent earlier.</summary>
    public byte[]? Reference { get; }

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt8((byte)Type);
        if (Proposal is not null)
        {
            Proposal.Encode(writer);
        }
        else
        {
            writer.WriteOpaque(Reference!);
        }
    }

    public static ProposalOrRef Decode(TlsReader reader)
    {
        byte type = reader.ReadUInt8();
        return (ProposalOrRefType)type switch
        {
            ProposalOrRefType.Proposal => new ProposalOrRef(Proposal.Decode(reader)),
            ProposalOrRefType.Reference => new ProposalOrRef(reader.ReadOpaque()),
            _ => throw new MlsDecodeException($"Unknown ProposalOrRef type {type}."),
        };
    }

    public bool Equals(ProposalOrRef? other)
        => other is not null && Equals(Proposal, other.Proposal) && StructuralEquality.Bytes(Reference, other.Reference);

    public override int GetHashCode() => HashCode.Combine(Type, Reference?.Length);
}
