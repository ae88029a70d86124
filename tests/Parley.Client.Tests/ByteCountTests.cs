using Parley.Content;
using Xunit;

namespace Parley.Client.Tests;

public sealed class ByteCountTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1.0 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(100_000L, "97.7 KiB")]
    [InlineData(1024L * 1024 - 1, "1.0 MiB")]
    [InlineData(2L << 30, "2.0 GiB")]
    [InlineData(4L << 30, "4.0 GiB")]
    [InlineData((4L << 30) + (300L << 20), "4.3 GiB")]
    [InlineData(long.MaxValue, "8.0 EiB")]
    public void Sizes_read_in_binary_units_with_one_decimal(long bytes, string expected)
        => Assert.Equal(expected, ByteCount.Format(bytes));

    [Fact]
    public void Two_sizes_that_would_read_the_same_show_their_bytes()
    {
        Assert.Equal(("4.0 GiB (4294967297 bytes)", "4.0 GiB (4294967296 bytes)"), ByteCount.FormatDistinct((4L << 30) + 1, 4L << 30));
        Assert.Equal(("4.5 GiB", "4.0 GiB"), ByteCount.FormatDistinct((4L << 30) + (512L << 20), 4L << 30));
        Assert.Equal(("1.0 KiB", "1.0 KiB"), ByteCount.FormatDistinct(1024, 1024));
    }
}
