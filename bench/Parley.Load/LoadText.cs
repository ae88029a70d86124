// The text a load message carries, so a receiver can compute end-to-end latency and spot losses and duplicates.
using System.Globalization;

namespace Parley.Load;

/// <summary>The text a load message carries: sender index, sequence number and the sender's Stopwatch timestamp.</summary>
internal static class LoadText
{
    public static string Format(int sender, int seq, long timestamp) => string.Create(CultureInfo.InvariantCulture, $"load {sender} {seq} {timestamp}");

    public static bool TryParse(string text, out int sender, out int seq, out long timestamp)
    {
        sender = seq = 0;
        timestamp = 0;
        string[] parts = text.Split(' ');
        return parts.Length == 4 && parts[0] == "load"
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out sender)
            && int.TryParse(parts[2], CultureInfo.InvariantCulture, out seq)
            && long.TryParse(parts[3], CultureInfo.InvariantCulture, out timestamp);
    }
}
