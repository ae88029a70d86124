// RFC 9420 §2.1.2: variable-size vector length headers of the "deserialization" interop vectors.
using Parley.Mls.Codec;
using Parley.Mls.Tests.Vectors;
using Xunit;

namespace Parley.Mls.Tests.Messages;

public sealed class DeserializationVectorTests
{
    public static IEnumerable<object[]> Entries() => VectorFile.Cases("deserialization");

    [Theory]
    [MemberData(nameof(Entries))]
    public void Vector_length_header_decodes_to_the_length_and_encodes_back(int index, ushort suite)
    {
        _ = suite;
        var entry = VectorFile.Load("deserialization")[index];
        byte[] header = entry.Hex("vlbytes_header");
        uint length = entry.GetProperty("length").GetUInt32();

        uint decoded = TlsReader.Decode(header, static r => r.ReadVarint());

        Assert.Equal(length, decoded);
        Assert.Equal(header, TlsWriter.Encode(w => w.WriteVarint(length)));
    }
}
