// RFC 9420 §7.2 (leaf node contents: Capabilities).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>What a client supports: protocol versions, cipher suites, and the non-default
/// extension, proposal and credential types.</summary>
public sealed record Capabilities(
    IReadOnlyList<ushort> Versions,
    IReadOnlyList<ushort> CipherSuites,
    IReadOnlyList<ushort> Extensions,
    IReadOnlyList<ushort> Proposals,
    IReadOnlyList<ushort> Credentials) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        WriteUInt16List(writer, Versions);
        WriteUInt16List(writer, CipherSuites);
        WriteUInt16List(writer, Extensions);
        WriteUInt16List(writer, Proposals);
        WriteUInt16List(writer, Credentials);
    }

    public static Capabilities Decode(TlsReader reader)
        => new(
            ReadUInt16List(reader),
            ReadUInt16List(reader),
            ReadUInt16List(reader),
            ReadUInt16List(reader),
            ReadUInt16List(reader));

    /// <summary>Writes a vector of uint16 values.</summary>
    internal static void WriteUInt16List(TlsWriter writer, IReadOnlyList<ushort> values)
        => writer.WriteVector(values, static (w, v) => w.WriteUInt16(v));

    /// <summary>Reads a vector of uint16 values.</summary>
    internal static List<ushort> ReadUInt16List(TlsReader reader) => reader.ReadList(static r => r.ReadUInt16());

    public bool Equals(Capabilities? other)
        => other is not null
           && Versions.SequenceEqual(other.Versions)
           && CipherSuites.SequenceEqual(other.CipherSuites)
           && Extensions.SequenceEqual(other.Extensions)
           && Proposals.SequenceEqual(other.Proposals)
           && Credentials.SequenceEqual(other.Credentials);

    public override int GetHashCode()
        => HashCode.Combine(Versions.Count, CipherSuites.Count, Extensions.Count, Proposals.Count, Credentials.Count);
}
