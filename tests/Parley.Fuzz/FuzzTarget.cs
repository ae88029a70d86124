// One fuzz target: a decoder fed arbitrary bytes. The target swallows the decoder's documented exception
// (the contract its callers catch); anything else escaping it is a crash for the fuzzer to report.
namespace Parley.Fuzz;

/// <summary>A named fuzz target: <see cref="Run"/> feeds one input to one or more decoders.</summary>
/// <param name="Name">The name scripts/fuzz.sh and the corpus folder use (lower case, dashes).</param>
/// <param name="Reads">What the decoders read, for the list and docs/security.md.</param>
/// <param name="Run">Decodes one input; throws only when a decoder broke its contract.</param>
public sealed record FuzzTarget(string Name, string Reads, Action<byte[]> Run)
{
    public override string ToString() => Name;
}

/// <summary>Runs a decoder and lets only its documented exception pass silently.</summary>
internal static class Expect
{
    /// <summary>Runs <paramref name="decode"/>; a <typeparamref name="TContract"/> is the decoder saying
    /// "not valid", every other exception propagates as a crash.</summary>
    public static void Only<TContract>(Action decode) where TContract : Exception
    {
        try
        {
            decode();
        }
        catch (TContract)
        {
        }
    }

    /// <summary>Runs <paramref name="decode"/> and returns its result, or the default when it threw
    /// <typeparamref name="TContract"/>.</summary>
    public static T? Only<TContract, T>(Func<T> decode) where TContract : Exception
    {
        try
        {
            return decode();
        }
        catch (TContract)
        {
            return default;
        }
    }

    /// <summary>Fails the input when a decoder that must not throw (a TryX) returned a wrong answer.</summary>
    public static void That(bool condition, string broken)
    {
        if (!condition)
        {
            throw new FuzzContractException(broken);
        }
    }
}

/// <summary>A decoder accepted an input and then broke an invariant (a round trip, a Try method's promise).</summary>
public sealed class FuzzContractException : Exception
{
    public FuzzContractException(string message) : base(message) { }
}
