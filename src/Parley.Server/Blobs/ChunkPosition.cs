using System.Globalization;

namespace Parley.Server.Blobs;

/// <summary>Where an upload chunk goes, from either <c>Upload-Offset: {offset}</c> or
/// <c>Content-Range: bytes {first}-{last}/{size|*}</c> (if both are sent they must agree).</summary>
public readonly record struct ChunkPosition(long Offset, long? Length, long? Total)
{
    /// <summary>The header naming the offset of a chunk, and the offset reached in answers.</summary>
    public const string UploadOffsetHeader = "Upload-Offset";

    /// <summary>The header naming a blob's size in answers.</summary>
    public const string UploadLengthHeader = "Upload-Length";

    /// <summary>Reads the chunk position from <paramref name="headers"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryRead(IHeaderDictionary headers, out ChunkPosition position, out string error)
    {
        ArgumentNullException.ThrowIfNull(headers);
        position = default;
        error = "";
        string? offsetText = headers[UploadOffsetHeader];
        string? rangeText = headers.ContentRange;
        long? offset = null;
        if (offsetText is not null)
        {
            if (!TryParseNumber(offsetText, out long parsed))
            {
                error = "Upload-Offset must be a non-negative whole number of bytes.";
                return false;
            }
            offset = parsed;
        }
        long? length = null;
        long? total = null;
        if (rangeText is not null)
        {
            if (!TryParseContentRange(rangeText, out long first, out long last, out total))
            {
                error = "Content-Range must read 'bytes FIRST-LAST/SIZE' (or '/*').";
                return false;
            }
            if (offset is not null && offset != first)
            {
                error = "Upload-Offset and Content-Range name different offsets.";
                return false;
            }
            offset = first;
            length = last - first + 1;
        }
        if (offset is null)
        {
            error = "Send 'Upload-Offset: N' (or 'Content-Range: bytes N-M/SIZE') naming where the chunk starts; HEAD tells the current offset.";
            return false;
        }
        position = new ChunkPosition(offset.Value, length, total);
        return true;
    }

    private static bool TryParseContentRange(string text, out long first, out long last, out long? total)
    {
        first = last = 0;
        total = null;
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        if (!span.StartsWith("bytes ", StringComparison.Ordinal))
        {
            return false;
        }
        span = span[6..].TrimStart();
        int dash = span.IndexOf('-');
        int slash = span.IndexOf('/');
        if (dash <= 0 || slash <= dash + 1
            || !TryParseNumber(span[..dash], out first)
            || !TryParseNumber(span[(dash + 1)..slash], out last)
            || last < first)
        {
            return false;
        }
        ReadOnlySpan<char> size = span[(slash + 1)..];
        if (size is "*")
        {
            return true;
        }
        if (!TryParseNumber(size, out long parsedTotal) || parsedTotal <= last)
        {
            return false;
        }
        total = parsedTotal;
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        text = text.Trim();
        if (text.IsEmpty || text.Length > 18)
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
