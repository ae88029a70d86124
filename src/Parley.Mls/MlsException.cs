namespace Parley.Mls;

/// <summary>Base of every error Parley.Mls raises on bad input or a protocol violation.
/// Messages describe what was wrong, never the secret or plaintext involved.</summary>
public class MlsException : Exception
{
    public MlsException(string message) : base(message) { }
    public MlsException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A message or proposal that decodes but breaks a rule of RFC 9420
/// (bad signature, wrong epoch, invalid tree, ...). The group state is unchanged. <see cref="Code"/> says which
/// rule was broken; the message says it in words for a person and may change.</summary>
public sealed class MlsProtocolException : MlsException
{
    public MlsProtocolException(MlsError code, string message) : base(message) => Code = code;

    /// <summary>The check that failed: stable, and named after the RFC 9420 section it enforces.</summary>
    public MlsError Code { get; }
}
