namespace Parley.Mls.Codec;

/// <summary>Thrown when bytes do not decode as the MLS structure expected: a truncated
/// length, a non-minimal variable-length integer, an unknown enum value or trailing bytes.</summary>
public sealed class MlsDecodeException : MlsException
{
    public MlsDecodeException(string message) : base(message) { }
}
