using System.Security.Cryptography;

namespace Parley.Server.Blobs;

/// <summary>A blob's id: 16 random bytes as 32 lowercase hex digits. It is a capability — whoever
/// holds it (from an MLS message) may download the blob — so it is never logged, and the server
/// stores only its <see cref="Key"/>.</summary>
public readonly record struct BlobId(string Value)
{
    /// <summary>Length of the hex form.</summary>
    public const int Length = 32;

    /// <summary>A fresh random id.</summary>
    public static BlobId New() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2)));

    /// <summary>Parses the hex form; false unless it is exactly 32 lowercase hex digits.</summary>
    public static bool TryParse(string? text, out BlobId id)
    {
        id = default;
        if (text is null || text.Length != Length)
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }
        id = new BlobId(text);
        return true;
    }

    /// <summary>The name the blob is stored under (row key and file name).</summary>
    public BlobKey Key => BlobKey.Of(this);

    /// <summary>Hides the capability from logs and debuggers; use <see cref="Value"/> on purpose.</summary>
    public override string ToString() => "blob";
}

/// <summary>The storage name of a blob: the first 16 bytes of SHA-256 over its id, as 32 hex digits.
/// A copy of the database or of the blob folder therefore does not hand out download capabilities.</summary>
public readonly record struct BlobKey(string Value)
{
    /// <summary>The key of <paramref name="id"/>.</summary>
    public static BlobKey Of(BlobId id)
    {
        Span<byte> raw = stackalloc byte[BlobId.Length / 2];
        Convert.FromHexString(id.Value, raw, out _, out _);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(raw, hash);
        return new BlobKey(Convert.ToHexStringLower(hash[..16]));
    }

    public override string ToString() => Value;
}
