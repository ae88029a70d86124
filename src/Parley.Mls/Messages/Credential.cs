// RFC 9420 §5.3 (credentials) and §17.5 (credential types).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Credential type code points (RFC 9420 §17.5).</summary>
public static class CredentialType
{
    public const ushort Basic = 0x0001;
    public const ushort X509 = 0x0002;
}

/// <summary>A member's claimed identity: a bare identity (basic) or an X.509 chain whose first
/// entry is the end-entity certificate.</summary>
public sealed record Credential : IMlsEncodable
{
    private Credential(ushort type, byte[]? identity, IReadOnlyList<byte[]>? certificates)
    {
        Type = type;
        Identity = identity;
        Certificates = certificates;
    }

    /// <summary>The credential type (<see cref="CredentialType"/>).</summary>
    public ushort Type { get; }

    /// <summary>The identity of a basic credential; null otherwise.</summary>
    public byte[]? Identity { get; }

    /// <summary>The DER certificates of an X.509 credential; null otherwise.</summary>
    public IReadOnlyList<byte[]>? Certificates { get; }

    /// <summary>A basic credential asserting <paramref name="identity"/>.</summary>
    public static Credential Basic(byte[] identity) => new(CredentialType.Basic, identity, null);

    /// <summary>An X.509 credential carrying a certificate chain.</summary>
    public static Credential X509(IReadOnlyList<byte[]> certificates) => new(CredentialType.X509, null, certificates);

    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16(Type);
        if (Type == CredentialType.Basic)
        {
            writer.WriteOpaque(Identity!);
        }
        else
        {
            writer.WriteVector(Certificates!, static (w, c) => w.WriteOpaque(c));
        }
    }

    public static Credential Decode(TlsReader reader)
    {
        ushort type = reader.ReadUInt16();
        return type switch
        {
            CredentialType.Basic => Basic(reader.ReadOpaque()),
            CredentialType.X509 => X509(reader.ReadList(static r => r.ReadOpaque())),
            _ => throw new MlsDecodeException($"Unknown credential type {type}."),
        };
    }

    public bool Equals(Credential? other)
        => other is not null
           && Type == other.Type
           && StructuralEquality.Bytes(Identity, other.Identity)
           && StructuralEquality.ByteLists(Certificates, other.Certificates);

    public override int GetHashCode() => HashCode.Combine(Type, Identity?.Length ?? Certificates!.Count);
}
