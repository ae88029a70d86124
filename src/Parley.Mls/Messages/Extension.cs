// RFC 9420 §13.4 (extensions) and §17.3 (extension types); last_resort from draft-ietf-mls-extensions.
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>Extension type code points (RFC 9420 §17.3).</summary>
public static class ExtensionType
{
    public const ushort ApplicationId = 0x0001;
    public const ushort RatchetTree = 0x0002;
    public const ushort RequiredCapabilities = 0x0003;
    public const ushort ExternalPub = 0x0004;
    public const ushort ExternalSenders = 0x0005;

    /// <summary>last_resort (draft-ietf-mls-extensions, "Last Resort KeyPackages"; the code point OpenMLS, mls-rs and
    /// ts-mls use): in a KeyPackage's extensions, with empty data, it says that its owner lets the package be used more
    /// than once, when no one-time package is left (RFC 9420 §16.8). Not a default type: the leaf must list it.</summary>
    public const ushort LastResort = 0x000A;

    /// <summary>Whether the type is one every MLS implementation must understand (no capability needed).</summary>
    public static bool IsDefault(ushort type) => type is >= 1 and <= 5;
}

/// <summary>An extension: a type and opaque data whose meaning depends on the type.</summary>
public sealed record Extension(ushort Type, byte[] Data) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt16(Type);
        writer.WriteOpaque(Data);
    }

    public static Extension Decode(TlsReader reader) => new(reader.ReadUInt16(), reader.ReadOpaque());

    /// <summary>Writes a vector of extensions.</summary>
    public static void WriteList(TlsWriter writer, IReadOnlyList<Extension> extensions)
        => writer.WriteVector(extensions, static (w, e) => e.Encode(w));

    /// <summary>Reads a vector of extensions, rejecting duplicate types (RFC 9420 §13.4).</summary>
    public static List<Extension> ReadList(TlsReader reader)
    {
        var list = reader.ReadList(Decode);
        var seen = new HashSet<ushort>();
        foreach (var e in list)
        {
            if (!seen.Add(e.Type))
            {
                throw new MlsDecodeException($"Extension type {e.Type} appears more than once.");
            }
        }
        return list;
    }

    public bool Equals(Extension? other) => other is not null && Type == other.Type && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Type, Data.Length);
}
