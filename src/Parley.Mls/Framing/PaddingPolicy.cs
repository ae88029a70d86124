// RFC 9420 §6.3.1 (content encryption: the padding field of PrivateMessageContent).
//
//   "the padding field is set by the sender, by first encoding the content [...] and the auth
//    field, and then appending the chosen number of zero bytes."
namespace Parley.Mls.Framing;

/// <summary>How many zero bytes a sender appends to a PrivateMessageContent to hide its exact
/// length: none (the default), or enough to reach a multiple of a block size.</summary>
public readonly record struct PaddingPolicy
{
    private PaddingPolicy(int blockSize) => BlockSize = blockSize;

    /// <summary>The block size the padded content length is a multiple of; 0 when not padding.</summary>
    public int BlockSize { get; }

    /// <summary>No padding.</summary>
    public static PaddingPolicy None => default;

    /// <summary>Pads the encoded content (body, auth data and padding) to a multiple of
    /// <paramref name="blockSize"/> bytes.</summary>
    public static PaddingPolicy ToMultipleOf(int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        return new PaddingPolicy(blockSize);
    }

    /// <summary>The number of zero bytes to append to content that encodes to
    /// <paramref name="contentLength"/> bytes.</summary>
    public int PaddingFor(int contentLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        if (BlockSize <= 1)
        {
            return 0;
        }
        int remainder = contentLength % BlockSize;
        return remainder == 0 ? 0 : BlockSize - remainder;
    }

    public override string ToString() => BlockSize <= 1 ? "no padding" : $"pad to a multiple of {BlockSize} bytes";
}
