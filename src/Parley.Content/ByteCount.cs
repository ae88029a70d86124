// Sizes as people read them: binary units (1 KiB = 1024 bytes), one decimal from KiB up.
using System.Globalization;

namespace Parley.Content;

/// <summary>Formats byte counts for people: <c>512 B</c>, <c>1.5 KiB</c>, <c>4.0 GiB</c>.</summary>
public static class ByteCount
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary><paramref name="bytes"/> in the largest binary unit it reaches, with one decimal (bytes are whole).</summary>
    public static string Format(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }
        double value = bytes;
        int unit = -1;
        // Step up while the value would print as 1024.0 or more in this unit.
        while (value >= 1023.95 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }

    /// <summary>Two sizes that must be told apart (a file and the limit it passes): formatted as
    /// <see cref="Format"/>, with the exact byte counts added when the short forms would read the same.</summary>
    public static (string First, string Second) FormatDistinct(long first, long second)
    {
        string a = Format(first), b = Format(second);
        return a == b && first != second
            ? ($"{a} ({first.ToString(CultureInfo.InvariantCulture)} bytes)", $"{b} ({second.ToString(CultureInfo.InvariantCulture)} bytes)")
            : (a, b);
    }
}
