// RFC 9420 §12.1.2 (Update).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Proposes replacing the sender's leaf node with <paramref name="LeafNode"/>.</summary>
public sealed record Update(LeafNode LeafNode) : Proposal
{
    public override ushort Type => ProposalType.Update;

    public override void EncodeBody(TlsWriter writer) => LeafNode.Encode(writer);

    /// <summary>Reads the Update struct.</summary>
    public static Update DecodeBody(TlsReader reader) => new(LeafNode.Decode(reader));
}
