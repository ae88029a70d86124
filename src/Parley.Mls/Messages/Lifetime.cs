// RFC 9420 §7.2 (leaf node contents: Lifetime).
using Parley.Mls.Codec;

namespace Parley.Mls.Messages;

/// <summary>The validity interval of a KeyPackage's leaf node, in seconds since the Unix epoch.</summary>
public sealed record Lifetime(ulong NotBefore, ulong NotAfter) : IMlsEncodable
{
    public void Encode(TlsWriter writer)
    {
        writer.WriteUInt64(NotBefore);
        writer.WriteUInt64(NotAfter);
    }

    public static Lifetime Decode(TlsReader reader) => new(reader.ReadUInt64(), reader.ReadUInt64());
}
