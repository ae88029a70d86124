// RFC 9420 §12.1.3 (Remove).
using Parley.Mls.Codec;
using Parley.Mls.Tree;

namespace Parley.Mls.Messages;

/// <summary>Proposes removing the member at leaf <paramref name="Removed"/>.</summary>
public sealed record Remove(LeafIndex Removed) : Proposal
{
    public override ushort Type => ProposalType.Remove;

    public override void EncodeBody(TlsWriter writer) => writer.WriteUInt32(Removed.Value);

    /// <summary>Reads the Remove struct.</summary>
    public static Remove DecodeBody(TlsReader reader) => new(new LeafIndex(reader.ReadUInt32()));
}
