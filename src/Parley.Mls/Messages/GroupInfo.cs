// RFC 9420 §12.4.3 (GroupInfo and GroupInfoTBS).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Tree;

namespace Parley.Mls.Messages;

/// <summary>The group's state at an epoch, signed by the member at leaf <paramref name="Signer"/>:
/// what a new member needs to join by Welcome or by external commit.</summary>
public sealed record GroupInfo(
    GroupContext GroupContext,
    IReadOnlyList<Extension> Extensions,
    byte[] ConfirmationTag,
    LeafIndex Signer,
    byte[] Signature) : IMlsEncodable
{
    private const string SignatureLabel = "GroupInfoTBS";

    public void Encode(TlsWriter writer)
    {
        WriteTbs(writer);
        writer.WriteOpaque(Signature);
    }

    public static GroupInfo Decode(TlsReader reader)
        => new(
            GroupContext.Decode(reader),
            Extension.ReadList(reader),
            reader.ReadOpaque(),
            new LeafIndex(reader.ReadUInt32()),
            reader.ReadOpaque());

    /// <summary>Encodes GroupInfoTBS: every field but the signature.</summary>
    public byte[] EncodeTbs() => TlsWriter.Encode(WriteTbs);

    /// <summary>Returns a copy signed with the signer's private key.</summary>
    public GroupInfo Sign(CipherSuite suite, ReadOnlySpan<byte> signaturePrivateKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return this with { Signature = suite.SignWithLabel(signaturePrivateKey, SignatureLabel, EncodeTbs()) };
    }

    /// <summary>Verifies the signature with the signature key of the leaf at <see cref="Signer"/>.</summary>
    public bool Verify(CipherSuite suite, ReadOnlySpan<byte> signerPublicKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.VerifyWithLabel(signerPublicKey, SignatureLabel, EncodeTbs(), Signature);
    }

    private void WriteTbs(TlsWriter writer)
    {
        GroupContext.Encode(writer);
        Extension.WriteList(writer, Extensions);
        writer.WriteOpaque(ConfirmationTag);
        writer.WriteUInt32(Signer.Value);
    }

    public bool Equals(GroupInfo? other)
        => other is not null
           && GroupContext.Equals(other.GroupContext)
           && StructuralEquality.Lists(Extensions, other.Extensions)
           && StructuralEquality.Bytes(ConfirmationTag, other.ConfirmationTag)
           && Signer == other.Signer
           && StructuralEquality.Bytes(Signature, other.Signature);

    public override int GetHashCode() => HashCode.Combine(GroupContext, Signer);
}
