// RFC 9420 §12.1.8.2 (required capabilities extension).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The extension, proposal and credential types every member of the group must support.</summary>
public sealed record RequiredCapabilities(
    IReadOnlyList<ushort> ExtensionTypes,
    IReadOnlyList<ushort> ProposalTypes,
    IReadOnlyList<ushort> CredentialTypes) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        Capabilities.WriteUInt16List(writer, ExtensionTypes);
        Capabilities.WriteUInt16List(writer, ProposalTypes);
        Capabilities.WriteUInt16List(writer, CredentialTypes);
    }

    public static RequiredCapabilities Decode(TlsReader reader)
        => new(Capabilities.ReadUInt16List(reader), Capabilities.ReadUInt16List(reader), Capabilities.ReadUInt16List(reader));

    public bool Equals(RequiredCapabilities? other)
        => other is not null
           && ExtensionTypes.SequenceEqual(other.ExtensionTypes)
           && ProposalTypes.SequenceEqual(other.ProposalTypes)
           && CredentialTypes.SequenceEqual(other.CredentialTypes);

    public override int GetHashCode() => HashCode.Combine(ExtensionTypes.Count, ProposalTypes.Count, CredentialTypes.Count);
}
