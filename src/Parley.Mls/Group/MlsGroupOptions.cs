// RFC 9420 §6 (wire format policy: handshake messages as PublicMessage or PrivateMessage),
// §6.3.1 (padding), §5.3.1 (credential validation), §8.4 and §8.6 (PSKs and resumption PSK history).
using Parley.Mls.Framing;

namespace Parley.Mls.Group;

/// <summary>A member's local policy for a group. Not part of the group state: pass the same options
/// when restoring a serialized group.</summary>
public sealed record MlsGroupOptions
{
    /// <summary>The defaults: public handshake messages, no padding, basic credentials, no external PSKs.</summary>
    public static MlsGroupOptions Default { get; } = new();

    /// <summary>Send proposals and commits as PrivateMessage instead of PublicMessage. Receiving accepts both.</summary>
    public bool EncryptHandshakeMessages { get; init; }

    /// <summary>Padding applied to every PrivateMessage this member sends.</summary>
    public PaddingPolicy Padding { get; init; }

    /// <summary>Checks every credential entering the group; the default accepts basic credentials.</summary>
    public ICredentialValidator CredentialValidator { get; init; } = BasicCredentialValidator.Instance;

    /// <summary>External PSKs and other groups' resumption PSKs; null when the application has none.</summary>
    public IPskStore? PskStore { get; init; }

    /// <summary>How many epochs' resumption PSKs the group keeps (RFC 9420 §8.6 asks for a bound).</summary>
    public int ResumptionPskHistory { get; init; } = 32;

    /// <summary>Keep the previous epoch's keys after a Commit so that application messages sent in it and
    /// delivered late still decrypt (default true); <see cref="MlsGroup.ForgetPreviousEpoch"/> drops them.</summary>
    public bool RetainPreviousEpoch { get; init; } = true;

    /// <summary>The current time in seconds since the Unix epoch, supplied by the application (the library
    /// has no clock). When null, key package lifetimes are not checked.</summary>
    public Func<ulong>? Now { get; init; }
}
