// RFC 9420 §12.1.8.1 (external senders extension).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>A sender outside the group allowed to send proposals: its signature key and credential.
/// The external_senders extension holds a vector of these.</summary>
public sealed record ExternalSender(byte[] SignatureKey, Credential Credential) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(SignatureKey);
        Credential.Encode(writer);
    }

    public static ExternalSender Decode(TlsReader reader) => new(reader.ReadOpaque(), Credential.Decode(reader));

    /// <summary>Encodes <c>ExternalSender external_senders&lt;V&gt;</c>, the extension's data.</summary>
    public static byte[] EncodeList(IReadOnlyList<ExternalSender> senders)
        => TlsWriter.Encode(w => w.WriteVector(senders, static (w2, s) => s.Encode(w2)));

    /// <summary>Decodes the data of an external_senders extension.</summary>
    public static List<ExternalSender> DecodeList(ReadOnlyMemory<byte> data)
        => TlsReader.Decode(data, static r => r.ReadList(Decode));

    public bool Equals(ExternalSender? other)
        => other is not null && StructuralEquality.Bytes(SignatureKey, other.SignatureKey) && Credential.Equals(other.Credential);

    public override int GetHashCode() => HashCode.Combine(SignatureKey.Length, Credential);
}
