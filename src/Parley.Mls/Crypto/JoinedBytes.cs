// RFC 9420 §5.1.2 and §5.1.3: SignContent and EncryptContext are a label header followed by the
// content, which can be large (a FramedContentTBS with application data, an encrypted GroupInfo).
using System.Buffers;
using System.Security.Cryptography;

namespace Parley.Mls.Crypto;

/// <summary>Two byte strings joined in a caller's stack buffer when they fit, else in a pooled array;
/// wiped and returned on <see cref="Dispose"/>, since the joined content may be plaintext.</summary>
internal ref struct JoinedBytes
{
    /// <summary>A stack buffer size that suits labelled headers and typical small contents.</summary>
    public const int StackSize = 512;

    private byte[]? _rented;

    public JoinedBytes(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> stackBuffer)
    {
        int length = checked(first.Length + second.Length);
        if (length <= stackBuffer.Length)
        {
            Span = stackBuffer[..length];
        }
        else
        {
            _rented = ArrayPool<byte>.Shared.Rent(length);
            Span = _rented.AsSpan(0, length);
        }
        first.CopyTo(Span);
        second.CopyTo(Span[first.Length..]);
    }

    /// <summary>first || second.</summary>
    public Span<byte> Span { get; private set; }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(Span);
        Span = default;
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
