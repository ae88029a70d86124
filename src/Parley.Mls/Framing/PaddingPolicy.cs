// RFC 9420 §6.3.1 (content encryption: the padding field of PrivateMessageContent).
//
//   "the padding field is set by the sender, by first encoding the content [...] and the auth
//    field, and then appending the chosen number of zero bytes."
//
// RFC 9420 §16.4 leaves the padding strategy to the application. Bucketed padding rounds short
// content up to a step size and longer content with Padmé (Nikitin et al., "Reducing Metadata
// Leakage from Encrypted Files and Communication with PURBs", PETS 2019), which leaks
// O(log log L) bits of the length L at most ~12 % overhead.
namespace Parley.Mls.Framing;

/// <summary>How many zero bytes a sender appends to a PrivateMessageContent to hide its exact
/// length: none (the default), enough to reach a multiple of a block size, or enough to reach a
/// bucket (steps for short content, Padmé above).</summary>
public readonly record struct PaddingPolicy
{
    private PaddingPolicy(int blockSize, int stepLimit)
    {
        BlockSize = blockSize;
        StepLimit = stepLimit;
    }

    /// <summary>The block size the padded content length is a multiple of (up to
    /// <see cref="StepLimit"/> when bucketed); 0 when not padding.</summary>
    public int BlockSize { get; }

    /// <summary>For bucketed padding, the length up to which content is padded in steps of
    /// <see cref="BlockSize"/>; longer content is padded with Padmé. 0 for plain block padding.</summary>
    public int StepLimit { get; }

    /// <summary>No padding.</summary>
    public static PaddingPolicy None => default;

    /// <summary>Pads the encoded content (body, auth data and padding) to a multiple of
    /// <paramref name="blockSize"/> bytes.</summary>
    public static PaddingPolicy ToMultipleOf(int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        return new PaddingPolicy(blockSize, 0);
    }

    /// <summary>Pads content of up to <paramref name="stepLimit"/> bytes to a multiple of
    /// <paramref name="step"/>, and longer content to its Padmé length.</summary>
    public static PaddingPolicy Buckets(int step, int stepLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepLimit, step);
        return new PaddingPolicy(step, stepLimit);
    }

    /// <summary>The number of zero bytes to append to content that encodes to
    /// <paramref name="contentLength"/> bytes.</summary>
    public int PaddingFor(int contentLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        if (BlockSize <= 1 && StepLimit == 0)
        {
            return 0;
        }
        if (StepLimit > 0 && contentLength > StepLimit)
        {
            return checked((int)(PadmeLength(contentLength) - contentLength));
        }
        int remainder = contentLength % BlockSize;
        return remainder == 0 ? 0 : BlockSize - remainder;
    }

    /// <summary>The Padmé length of <paramref name="length"/>: the length rounded up so that only
    /// the top ⌊log2 E⌋ + 1 bits of its exponent E = ⌊log2 length⌋ may be set below the leading one.</summary>
    public static long PadmeLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length < 2)
        {
            return length;
        }
        int exponent = 63 - (int)long.LeadingZeroCount(length);
        int exponentBits = 32 - int.LeadingZeroCount(exponent);
        int lowBits = exponent - exponentBits;
        long mask = (1L << lowBits) - 1;
        return (length + mask) & ~mask;
    }

    public override string ToString() => (BlockSize, StepLimit) switch
    {
        (<= 1, 0) => "no padding",
        (_, 0) => $"pad to a multiple of {BlockSize} bytes",
        _ => $"pad to a multiple of {BlockSize} bytes up to {StepLimit}, Padmé above",
    };
}
