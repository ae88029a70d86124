// RFC 9420 §12.1.6 (ExternalInit).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Carries the KEM output from which an external joiner and the group derive the next init secret.</summary>
public sealed record ExternalInit(byte[] KemOutput) : Proposal
{
    public override ushort Type => ProposalType.ExternalInit;

    public override void EncodeBody(TlsWriter writer) => writer.WriteOpaque(KemOutput);

    /// <summary>Reads the ExternalInit struct.</summary>
    public static ExternalInit DecodeBody(TlsReader reader) => new(reader.ReadOpaque());

    public bool Equals(ExternalInit? other) => other is not null && StructuralEquality.Bytes(KemOutput, other.KemOutput);

    public override int GetHashCode() => KemOutput.Length;
}
