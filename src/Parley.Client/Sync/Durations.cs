using System.Globalization;

namespace Parley.Client.Sync;

/// <summary>Short durations as people write them: <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>7d</c>, <c>1w</c>.</summary>
public static class Durations
{
    /// <summary>Parses <c>N</c> followed by s, m, h, d or w; throws <see cref="FormatException"/> otherwise.</summary>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim().ToLowerInvariant();
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0)
        {
            TimeSpan? value = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                'w' => TimeSpan.FromDays(7 * n),
                _ => null,
            };
            if (value is { } v && v <= TimeSpan.FromDays(365))
            {
                return v;
            }
        }
        throw new FormatException($"'{text}' is not a duration; write e.g. 30s, 5m, 1h, 7d or 1w (at most a year).");
    }

    /// <summary>The shortest exact form: <c>90s</c>, <c>5m</c>, <c>1h</c>, <c>2d</c>.</summary>
    public static string Format(TimeSpan value)
    {
        long seconds = (long)value.TotalSeconds;
        return seconds switch
        {
            _ when seconds % 604800 == 0 && seconds > 0 => $"{seconds / 604800}w",
            _ when seconds % 86400 == 0 && seconds > 0 => $"{seconds / 86400}d",
            _ when seconds % 3600 == 0 && seconds > 0 => $"{seconds / 3600}h",
            _ when seconds % 60 == 0 && seconds > 0 => $"{seconds / 60}m",
            _ => $"{seconds}s",
        };
    }
}
