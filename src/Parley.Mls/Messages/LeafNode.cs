// RFC 9420 §7.2 (leaf node contents) and §7.3 (leaf node validation: the signature).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Tree;

namespace Parley.Mls.Messages;

/// <summary>Where a leaf node came from; decides what it carries and what its signature covers.</summary>
public enum LeafNodeSource : byte
{
    KeyPackage = 1,
    Update = 2,
    Commit = 3,
}

/// <summary>A member's leaf in the ratchet tree: its HPKE and signature keys, credential and
/// capabilities, signed by the member.</summary>
/// <param name="EncryptionKey">The member's HPKE public key.</param>
/// <param name="SignatureKey">The member's signature public key.</param>
/// <param name="Credential">Who the member is.</param>
/// <param name="Capabilities">The versions, cipher suites, extensions, proposals and credentials the member supports.</param>
/// <param name="Source">Where the leaf node came from.</param>
/// <param name="Lifetime">Present exactly when the source is <see cref="LeafNodeSource.KeyPackage"/>.</param>
/// <param name="ParentHash">Present exactly when the source is <see cref="LeafNodeSource.Commit"/>.</param>
/// <param name="Extensions">The leaf node's extensions.</param>
/// <param name="Signature">The member's signature over the LeafNodeTBS.</param>
public sealed record LeafNode(
    byte[] EncryptionKey,
    byte[] SignatureKey,
    Credential Credential,
    Capabilities Capabilities,
    LeafNodeSource Source,
    Lifetime? Lifetime,
    byte[]? ParentHash,
    IReadOnlyList<Extension> Extensions,
    byte[] Signature) : IMlsEncodable
{
    private const string SignatureLabel = "LeafNodeTBS";

    public void Encode(TlsWriter writer)
    {
        EncodeContent(writer);
        writer.WriteOpaque(Signature);
    }

    public static LeafNode Decode(TlsReader reader)
    {
        byte[] encryptionKey = reader.ReadOpaque();
        byte[] signatureKey = reader.ReadOpaque();
        var credential = Credential.Decode(reader);
        var capabilities = Capabilities.Decode(reader);
        byte source = reader.ReadUInt8();
        Lifetime? lifetime = null;
        byte[]? parentHash = null;
        switch ((LeafNodeSource)source)
        {
            case LeafNodeSource.KeyPackage:
                lifetime = Lifetime.Decode(reader);
                break;
            case LeafNodeSource.Update:
                break;
            case LeafNodeSource.Commit:
                parentHash = reader.ReadOpaque();
                break;
            default:
                throw new MlsDecodeException($"Unknown leaf node source {source}.");
        }
        var extensions = Extension.ReadList(reader);
        byte[] signature = reader.ReadOpaque();
        return new LeafNode(encryptionKey, signatureKey, credential, capabilities, (LeafNodeSource)source,
            lifetime, parentHash, extensions, signature);
    }

    /// <summary>Encodes LeafNodeTBS: the signed fields, plus the group id and leaf index when the
    /// source is update or commit.</summary>
    public byte[] EncodeTbs(byte[]? groupId, LeafIndex? leafIndex)
    {
        var w = new TlsWriter(256);
        EncodeContent(w);
        if (Source is LeafNodeSource.Update or LeafNodeSource.Commit)
        {
            if (groupId is null || leafIndex is null)
            {
                throw new ArgumentException("A leaf node from an update or commit is signed with its group id and leaf index.");
            }
            w.WriteOpaque(groupId);
            w.WriteUInt32(leafIndex.Value.Value);
        }
        return w.ToArray();
    }

    /// <summary>Returns a copy signed with <paramref name="signaturePrivateKey"/>; <paramref name="groupId"/>
    /// and <paramref name="leafIndex"/> are required for update and commit leaves and ignored otherwise.</summary>
    public LeafNode Sign(CipherSuite suite, ReadOnlySpan<byte> signaturePrivateKey, byte[]? groupId = null, LeafIndex? leafIndex = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        byte[] tbs = EncodeTbs(groupId, leafIndex);
        return this with { Signature = suite.SignWithLabel(signaturePrivateKey, SignatureLabel, tbs) };
    }

    /// <summary>Checks the signature against the leaf's own signature key.</summary>
    public bool Verify(CipherSuite suite, byte[]? groupId = null, LeafIndex? leafIndex = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        byte[] tbs = EncodeTbs(groupId, leafIndex);
        return suite.VerifyWithLabel(SignatureKey, SignatureLabel, tbs, Signature);
    }

    private void EncodeContent(TlsWriter writer)
    {
        writer.WriteOpaque(EncryptionKey);
        writer.WriteOpaque(SignatureKey);
        Credential.Encode(writer);
        Capabilities.Encode(writer);
        writer.WriteUInt8((byte)Source);
        switch (Source)
        {
            case LeafNodeSource.KeyPackage:
                (Lifetime ?? throw new InvalidOperationException("A key package leaf node needs a lifetime.")).Encode(writer);
                break;
            case LeafNodeSource.Update:
                break;
            case LeafNodeSource.Commit:
                writer.WriteOpaque(ParentHash ?? throw new InvalidOperationException("A commit leaf node needs a parent hash."));
                break;
            default:
                throw new InvalidOperationException($"Unknown leaf node source {(byte)Source}.");
        }
        Extension.WriteList(writer, Extensions);
    }

    public bool Equals(LeafNode? other)
        => other is not null
           && StructuralEquality.Bytes(EncryptionKey, other.EncryptionKey)
           && StructuralEquality.Bytes(SignatureKey, other.SignatureKey)
           && Credential.Equals(other.Credential)
           && Capabilities.Equals(other.Capabilities)
           && Source == other.Source
           && Equals(Lifetime, other.Lifetime)
           && StructuralEquality.Bytes(ParentHash, other.ParentHash)
           && StructuralEquality.Lists(Extensions, other.Extensions)
           && StructuralEquality.Bytes(Signature, other.Signature);

    public override int GetHashCode() => HashCode.Combine(EncryptionKey.Length, SignatureKey.Length, Source);
}
