// RFC 9420 §12.1.7 (GroupContextExtensions).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Proposes replacing the group context's extensions wholesale with <paramref name="Extensions"/>.</summary>
public sealed record GroupContextExtensions(IReadOnlyList<Extension> Extensions) : Proposal
{
    public override ushort Type => ProposalType.GroupContextExtensions;

    public override void EncodeBody(TlsWriter writer) => Extension.WriteList(writer, Extensions);

    /// <summary>Reads the GroupContextExtensions struct.</summary>
    public static GroupContextExtensions DecodeBody(TlsReader reader) => new(Extension.ReadList(reader));

    public bool Equals(GroupContextExtensions? other)
        => other is not null && StructuralEquality.Lists(Extensions, other.Extensions);

    public override int GetHashCode() => Extensions.Count;
}
