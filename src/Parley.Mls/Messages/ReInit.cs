// RFC 9420 §12.1.5 (ReInit).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Proposes closing the group and restarting it as a new group with these parameters.</summary>
public sealed record ReInit(byte[] GroupId, ushort Version, ushort CipherSuite, IReadOnlyList<Extension> Extensions) : Proposal
{
    public override ushort Type => ProposalType.ReInit;

    public override void EncodeBody(TlsWriter writer)
    {
        writer.WriteOpaque(GroupId);
        writer.WriteUInt16(Version);
        writer.WriteUInt16(CipherSuite);
        Extension.WriteList(writer, Extensions);
    }

    /// <summary>Reads the ReInit struct. The version is kept as sent: a ReInit may name a later version.</summary>
    public static ReInit DecodeBody(TlsReader reader)
        => new(reader.ReadOpaque(), reader.ReadUInt16(), reader.ReadUInt16(), Extension.ReadList(reader));

    public bool Equals(ReInit? other)
        => other is not null
           && StructuralEquality.Bytes(GroupId, other.GroupId)
           && Version == other.Version
           && CipherSuite == other.CipherSuite
           && StructuralEquality.Lists(Extensions, other.Extensions);

    public override int GetHashCode() => HashCode.Combine(GroupId.Length, Version, CipherSuite);
}
