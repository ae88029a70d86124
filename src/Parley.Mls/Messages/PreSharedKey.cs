// RFC 9420 §12.1.4 (PreSharedKey).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Proposes injecting the pre-shared key <paramref name="Psk"/> into the next epoch's key schedule.</summary>
public sealed record PreSharedKey(PreSharedKeyId Psk) : Proposal
{
    public override ushort Type => ProposalType.Psk;

    public override void EncodeBody(TlsWriter writer) => Psk.Encode(writer);

    /// <summary>Reads the PreSharedKey struct.</summary>
    public static PreSharedKey DecodeBody(TlsReader reader) => new(PreSharedKeyId.Decode(reader));
}
