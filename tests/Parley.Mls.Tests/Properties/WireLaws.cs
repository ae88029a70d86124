// The laws every RFC 9420 §2.1 codec must obey, checked on one value at a time by the property tests.
using Parley.Mls.Codec;
using Xunit;

namespace Parley.Mls.Tests.Properties;

/// <summary>Assertions shared by the codec properties: a value survives encode then decode, its bytes
/// survive decode then encode, no prefix or extension of them decodes, and a decoder that accepts
/// altered bytes read them canonically (they re-encode to exactly themselves).</summary>
internal static class WireLaws
{
    /// <summary>A random change to apply to an encoding: which byte (modulo the length) and its new value.</summary>
    public readonly record struct Mutation(int Position, byte Value);

    public static void RoundTrip<T>(T value, Func<T, byte[]> encode, Func<TlsReader, T> decode, Mutation mutation)
        where T : class
    {
        byte[] bytes = encode(value);

        T decoded = TlsReader.Decode(bytes, decode);
        Assert.Equal(value, decoded);
        Assert.Equal(bytes, encode(decoded));

        // Every proper prefix is refused with the one typed exception (a short read never looks complete).
        foreach (int cut in Cuts(bytes.Length))
        {
            Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(bytes.AsMemory(0, cut), decode));
        }
        byte[] longer = [.. bytes, 0];
        Assert.Throws<MlsDecodeException>(() => TlsReader.Decode(longer, decode));

        AcceptsOnlyCanonical(bytes, encode, decode, mutation);
    }

    /// <summary>Changes, removes or inserts one byte; the decoder may refuse the result (only with
    /// <see cref="MlsDecodeException"/>) or accept it, and then the value it read must encode back to exactly
    /// those bytes.</summary>
    public static void AcceptsOnlyCanonical<T>(byte[] bytes, Func<T, byte[]> encode, Func<TlsReader, T> decode, Mutation mutation)
        where T : class
    {
        if (bytes.Length == 0)
        {
            return;
        }
        int at = mutation.Position % bytes.Length;
        byte[] changed = (byte[])bytes.Clone();
        changed[at] = mutation.Value;
        byte[] removed = [.. bytes[..at], .. bytes[(at + 1)..]];
        byte[] inserted = [.. bytes[..at], mutation.Value, .. bytes[at..]];
        foreach (byte[] altered in new[] { changed, removed, inserted })
        {
            T reread;
            try
            {
                reread = TlsReader.Decode(altered, decode);
            }
            catch (MlsDecodeException)
            {
                continue;
            }
            Assert.Equal(altered, encode(reread));
        }
    }

    // All cut points of short encodings, and a spread of them (always including the last) of long ones.
    private static IEnumerable<int> Cuts(int length)
    {
        if (length <= 256)
        {
            return Enumerable.Range(0, length);
        }
        return Enumerable.Range(0, 64).Select(i => (int)((long)i * length / 64)).Append(length - 1).Distinct();
    }
}
