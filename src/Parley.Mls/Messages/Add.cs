// RFC 9420 §12.1.1 (Add).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Proposes adding the client of <paramref name="KeyPackage"/> to the group.</summary>
public sealed record Add(KeyPackage KeyPackage) : Proposal
{
    public override ushort Type => ProposalType.Add;

    public override void EncodeBody(TlsWriter writer) => KeyPackage.Encode(writer);

    /// <summary>Reads the Add struct.</summary>
    public static Add DecodeBody(TlsReader reader) => new(KeyPackage.Decode(reader));
}
