// RFC 9420 §10 (key packages).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Messages;

/// <summary>A client's signed, pre-published offer to be added to groups: an HPKE init key
/// and the leaf node it will occupy.</summary>
public sealed record KeyPackage(
    ushort Version,
    ushort CipherSuite,
    byte[] InitKey,
    LeafNode LeafNode,
    IReadOnlyList<Extension> Extensions,
    byte[] Signature) : IMlsEncodable
{
    private const string SignatureLabel = "KeyPackageTBS";

    public void Encode(TlsWriter writer)
    {
        WriteTbs(writer);
        writer.WriteOpaque(Signature);
    }

    public static KeyPackage Decode(TlsReader reader)
    {
        ushort version = reader.ReadUInt16();
        if (version != GroupContext.Mls10)
        {
            throw new MlsDecodeException($"Unsupported protocol version {version}.");
        }
        return new KeyPackage(
            version,
            reader.ReadUInt16(),
            reader.ReadOpaque(),
            LeafNode.Decode(reader),
            Extension.ReadList(reader),
            reader.ReadOpaque());
    }

    /// <summary>Encodes KeyPackageTBS: every field but the signature.</summary>
    public byte[] EncodeTbs() => TlsWriter.Encode(WriteTbs);

    /// <summary>Returns a copy signed with <paramref name="signaturePrivateKey"/>, which must match
    /// the leaf node's signature key.</summary>
    public KeyPackage Sign(CipherSuite suite, ReadOnlySpan<byte> signaturePrivateKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return this with { Signature = suite.SignWithLabel(signaturePrivateKey, SignatureLabel, EncodeTbs()) };
    }

    /// <summary>Checks the key package signature against the leaf node's signature key. (The leaf
    /// node's own signature and the other rules of RFC 9420 §10.1 are checked separately.)</summary>
    public bool Verify(CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.VerifyWithLabel(LeafNode.SignatureKey, SignatureLabel, EncodeTbs(), Signature);
    }

    /// <summary>Whether the package carries the last_resort extension: its owner lets it be used more than once
    /// (RFC 9420 §16.8), so a client that receives it again has not been sent a replay.</summary>
    public bool IsLastResort => Extensions.Any(e => e.Type == ExtensionType.LastResort);

    /// <summary>KeyPackageRef: RefHash("MLS 1.0 KeyPackage Reference", KeyPackage).</summary>
    public byte[] Ref(CipherSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.MakeKeyPackageRef(this.ToBytes());
    }

    private void WriteTbs(TlsWriter writer)
    {
        writer.WriteUInt16(Version);
        writer.WriteUInt16(CipherSuite);
        writer.WriteOpaque(InitKey);
        LeafNode.Encode(writer);
        Extension.WriteList(writer, Extensions);
    }

    public bool Equals(KeyPackage? other)
        => other is not null
           && Version == other.Version
           && CipherSuite == other.CipherSuite
           && StructuralEquality.Bytes(InitKey, other.InitKey)
           && LeafNode.Equals(other.LeafNode)
           && StructuralEquality.Lists(Extensions, other.Extensions)
           && StructuralEquality.Bytes(Signature, other.Signature);

    public override int GetHashCode() => HashCode.Combine(CipherSuite, InitKey.Length, Signature.Length);
}
