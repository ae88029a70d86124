// RFC 9420 §2.1: the TLS writer, in its pooled form for large encodings that are signed or fingerprinted and dropped.
using System.Buffers;
using Parley.Mls.Codec;
using Xunit;

namespace Parley.Mls.Tests.Codec;

public sealed class TlsWriterTests
{
    [Fact]
    public void A_pooled_writer_grows_past_its_first_buffer_and_keeps_every_byte()
    {
        byte[] data = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 13 + 1)).ToArray();
        var pooled = TlsWriter.Pooled(16);
        var plain = new TlsWriter(16);

        foreach (var w in new[] { pooled, plain })
        {
            w.WriteUInt16(0xABCD);
            w.WriteOpaque(data.AsSpan(0, 100));
            w.WriteOpaque(data);
        }

        Assert.Equal(plain.ToArray(), pooled.WrittenSpan.ToArray());
        pooled.Release();
        Assert.Equal(0, pooled.Length);
    }

    [Fact]
    public void Releasing_a_pooled_writer_wipes_the_buffer_it_gives_back()
    {
        // ArrayPool.Shared hands the array just returned on this thread out again for the same size.
        var w = TlsWriter.Pooled(4096);
        w.WriteBytes(Enumerable.Repeat((byte)0x5A, 4000).ToArray());

        w.Release();
        byte[] again = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            Assert.DoesNotContain(again.AsSpan(0, 4000).ToArray(), b => b == 0x5A);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(again);
        }
    }

    [Fact]
    public void Only_a_pooled_writer_is_released() => Assert.Throws<InvalidOperationException>(() => new TlsWriter().Release());

    [Fact]
    public void A_writer_filled_exactly_hands_over_its_buffer_and_otherwise_a_copy()
    {
        var exact = new TlsWriter(16);
        exact.WriteBytes(new byte[16]);
        var partial = new TlsWriter(16);
        partial.WriteBytes(new byte[3]);

        Assert.Equal(16, exact.ToArrayOrDetach().Length);
        Assert.Equal(3, partial.ToArrayOrDetach().Length);
    }
}
