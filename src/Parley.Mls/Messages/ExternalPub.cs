// RFC 9420 §12.4.3.2 (joining via external commits: ExternalPub).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The external_pub GroupInfo extension: the HPKE public key an external joiner
/// encapsulates the new init secret to.</summary>
public sealed record ExternalPub(byte[] PublicKey) : IMlsEncodable
{
    public void Encode(TlsWriter writer) => writer.WriteOpaque(PublicKey);

    public static ExternalPub Decode(TlsReader reader) => new(reader.ReadOpaque());

    public bool Equals(ExternalPub? other) => other is not null && StructuralEquality.Bytes(PublicKey, other.PublicKey);

    public override int GetHashCode() => PublicKey.Length;
}
