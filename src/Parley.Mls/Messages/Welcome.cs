// RFC 9420 §12.4.3.1 (joining via Welcome: EncryptedGroupSecrets and Welcome).
using Parley.Mls.Codec;
using Parley.Mls.Crypto;

namespace Parley.Mls.Messages;

/// <summary>GroupSecrets HPKE-encrypted to the init key of the KeyPackage <paramref name="NewMember"/> refers to.</summary>
public sealed record EncryptedGroupSecrets(byte[] NewMember, HpkeCiphertext EncryptedSecrets) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteOpaque(NewMember);
        EncryptedSecrets.Encode(writer);
    }

    public static EncryptedGroupSecrets Decode(TlsReader reader) => new(reader.ReadOpaque(), HpkeCiphertext.Decode(reader));

    public bool Equals(EncryptedGroupSecrets? other)
        => other is not null
           && StructuralEquality.Bytes(NewMember, other.NewMember)
           && StructuralEquality.Ciphertexts(EncryptedSecrets, other.EncryptedSecrets);

    public override int GetHashCode() => NewMember.Length;
}

/// <summary>Invites new members: per member, the group secrets encrypted to its KeyPackage; for
/// all, the GroupInfo encrypted under a key derived from the joiner secret.</summary>
public sealed record Welcome(ushort CipherSuite, IReadOnlyList<EncryptedGroupSecrets> Secrets, byte[] EncryptedGroupInfo) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16(CipherSuite);
        writer.WriteVector(Secrets, static (w, s) => s.Encode(w));
        writer.WriteOpaque(EncryptedGroupInfo);
    }

    public static Welcome Decode(TlsReader reader)
        => new(reader.ReadUInt16(), reader.ReadList(EncryptedGroupSecrets.Decode), reader.ReadOpaque());

    public bool Equals(Welcome? other)
        => other is not null
           && CipherSuite == other.CipherSuite
           && StructuralEquality.Lists(Secrets, other.Secrets)
           && StructuralEquality.Bytes(EncryptedGroupInfo, other.EncryptedGroupInfo);

    public override int GetHashCode() => HashCode.Combine(CipherSuite, Secrets.Count, EncryptedGroupInfo.Length);
}
