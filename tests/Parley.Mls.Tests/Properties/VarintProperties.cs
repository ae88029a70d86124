// RFC 9420 §2.1.2 (variable-size vector length headers): the QUIC-style varint with 1-, 2- and 4-byte
// forms, the reserved 0b11 prefix, and the rule that "the length ... MUST be encoded in the smallest
// number of bytes possible"; §2.1 fixed-width integers and vectors built on it.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parley.Mls.Codec;
using Xunit;

namespace Parley.Mls.Tests.Properties;

public sealed class VarintProperties
{
    // Values spread over the three forms, with the edges of each form drawn often.
    private static readonly Gen<uint> Varint =
        Gen.Frequency(
            (2, Gen.Choose(0, 0x3F).Select(i => (uint)i)),
            (2, Gen.Choose(0x40, 0x3FFF).Select(i => (uint)i)),
            (2, Gen.Choose(0x4000, (int)TlsWriter.MaxVarint).Select(i => (uint)i)),
            (1, Gen.Elements(0u, 0x3Fu, 0x40u, 0x3FFFu, 0x4000u, TlsWriter.MaxVarint - 1, TlsWriter.MaxVarint)));

    private static int ShortestForm(uint value) => value < 0x40 ? 1 : value < 0x4000 ? 2 : 4;

    [Property(MaxTest = 500)]
    public Property A_varint_decodes_to_the_value_it_encodes_in_its_shortest_form()
        => Prop.ForAll(Varint.ToArbitrary(), value =>
        {
            byte[] bytes = TlsWriter.Encode(w => w.WriteVarint(value));
            Assert.Equal(ShortestForm(value), bytes.Length);
            Assert.Equal(bytes.Length switch { 1 => 0, 2 => 1, _ => 2 }, bytes[0] >> 6);
            Assert.Equal(value, TlsReader.Decode(bytes, r => r.ReadVarint()));
        });

    [Property(MaxTest = 300)]
    public Property A_varint_in_a_longer_form_than_needed_is_refused()
        => Prop.ForAll(Varint.Where(v => v < 0x4000).ToArbitrary(), value =>
        {
            byte[] fourBytes = [(byte)(0x80 | (value >> 24)), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
            Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(fourBytes, r => r.ReadVarint()));
            if (value < 0x40)
            {
                byte[] twoBytes = [0x40, (byte)value];
                Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(twoBytes, r => r.ReadVarint()));
            }
        });

    [Property(MaxTest = 300)]
    public Property The_reserved_0b11_prefix_is_refused_whatever_follows()
        => Prop.ForAll(Gen.ArrayOf(MlsGen.Byte, 8).ToArbitrary(), bytes =>
        {
            bytes[0] |= 0xC0;
            Assert.Throws<MlsDecodeException>(() => new TlsReader(bytes).ReadVarint());
        });

    [Property(MaxTest = 300)]
    public Property A_value_beyond_2_pow_30_cannot_be_written()
        => Prop.ForAll(MlsGen.UInt32.Where(v => v > TlsWriter.MaxVarint).ToArbitrary(), value =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => TlsWriter.Encode(w => w.WriteVarint(value)));
        });

    [Property(MaxTest = 500)]
    public Property Any_bytes_the_reader_takes_as_a_varint_are_that_varint_s_only_encoding()
        => Prop.ForAll(Gen.ArrayOf(MlsGen.Byte, 4).ToArbitrary(), bytes =>
        {
            var reader = new TlsReader(bytes);
            uint value;
            try
            {
                value = reader.ReadVarint();
            }
            catch (MlsDecodeException)
            {
                return;
            }
            Assert.Equal(bytes.AsSpan(0, reader.Position).ToArray(), TlsWriter.Encode(w => w.WriteVarint(value)));
        });

    [Property(MaxTest = 200)]
    public Property A_vector_of_any_length_round_trips_with_a_minimal_header()
        => Prop.ForAll(Gen.Frequency(
                (3, Gen.Choose(0, 200)),
                (1, Gen.Choose(0x3FF0, 0x4010))).ToArbitrary(),
            length =>
            {
                byte[] body = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    body[i] = (byte)(i * 7);
                }
                byte[] viaVector = TlsWriter.Encode(w => w.WriteVector(x => x.WriteBytes(body)));
                byte[] viaOpaque = TlsWriter.Encode(w => w.WriteOpaque(body));
                Assert.Equal(viaOpaque, viaVector);
                Assert.Equal(ShortestForm((uint)length) + length, viaVector.Length);
                Assert.Equal(body, TlsReader.Decode(viaVector, r => r.ReadOpaque()));
                // One byte fewer than the header promises is a truncation, not a shorter vector.
                Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(viaVector.AsMemory(0, viaVector.Length - 1), r => r.ReadOpaque()));
            });

    [Property(MaxTest = 300)]
    public Property Fixed_width_integers_and_booleans_round_trip()
        => Prop.ForAll((from a in MlsGen.UInt64 from b in MlsGen.UInt32 from c in MlsGen.UInt16 select (a, b, c)).ToArbitrary(), t =>
        {
            var (a, b, c) = t;
            bool flag = (a & 1) == 1;
            byte[] bytes = TlsWriter.Encode(w =>
            {
                w.WriteUInt64(a);
                w.WriteUInt32(b);
                w.WriteUInt16(c);
                w.WriteUInt8((byte)b);
                w.WriteBool(flag);
            });
            Assert.Equal(8 + 4 + 2 + 1 + 1, bytes.Length);
            var r = new TlsReader(bytes);
            Assert.Equal(a, r.ReadUInt64());
            Assert.Equal(b, r.ReadUInt32());
            Assert.Equal(c, r.ReadUInt16());
            Assert.Equal((byte)b, r.ReadUInt8());
            Assert.Equal(flag, r.ReadBool());
            Assert.True(r.AtEnd);
        });

    [Property(MaxTest = 200)]
    public Property A_boolean_octet_other_than_0_or_1_is_refused()
        => Prop.ForAll(Gen.Choose(2, 255).ToArbitrary(), octet =>
        {
            Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(new[] { (byte)octet }, r => r.ReadBool()));
        });
}
