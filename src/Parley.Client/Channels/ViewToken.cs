// Per-post view counts without revealing who viewed (docs/channels.md, "Counts"): a member's device keeps
// one random view key per channel and sends HMAC-SHA256(view key, message id) once per post it shows. The
// server keeps only SHA-256 of each token: it can count distinct viewers of a post, but tokens of one
// viewer on two posts look unrelated, and nothing names the viewer.
using System.Security.Cryptography;
using System.Text;

namespace Parley.Client.Channels;

/// <summary>Computes view tokens.</summary>
public static class ViewToken
{
    /// <summary>The size of a view key and of a token.</summary>
    public const int Size = 32;

    /// <summary>A fresh per-channel view key.</summary>
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(Size);

    /// <summary>HMAC-SHA256(<paramref name="viewKey"/>, UTF-8 message id).</summary>
    public static byte[] Compute(ReadOnlySpan<byte> viewKey, string messageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        if (viewKey.Length != Size)
        {
            throw new ArgumentException("A view key is 32 bytes.", nameof(viewKey));
        }
        return HMACSHA256.HashData(viewKey, Encoding.UTF8.GetBytes(messageId));
    }
}
