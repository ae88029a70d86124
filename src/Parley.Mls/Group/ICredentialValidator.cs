// RFC 9420 §5.3.1 (credential validation), §11.2 and §11.3 (matching members across linked groups).
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>Decides whether a credential, bound to a signature key, is acceptable to the application
/// (the Authentication Service's role in RFC 9420). Called for every leaf that enters the group view:
/// added members, updates, commit path leaves, the tree of a Welcome and external joiners.</summary>
public interface ICredentialValidator
{
    /// <summary>Returns true when <paramref name="credential"/> may be used with <paramref name="signatureKey"/>.</summary>
    bool IsValid(Credential credential, ReadOnlySpan<byte> signatureKey);

    /// <summary>Whether two credentials, possibly bound to different signature keys or cipher suites,
    /// identify the same client: how a reinitialized or branched group's members are matched to the old
    /// group's (RFC 9420 §11.2 and §11.3, "according to the application"). The default compares the
    /// credentials for equality.</summary>
    bool IsSameClient(Credential a, Credential b)
    {
        ArgumentNullException.ThrowIfNull(a);
        return a.Equals(b);
    }
}

/// <summary>The default validator: accepts every basic credential with a non-empty identity and rejects
/// other credential types, which need an application-specific check.</summary>
public sealed class BasicCredentialValidator : ICredentialValidator
{
    /// <summary>A shared instance; the validator has no state.</summary>
    public static BasicCredentialValidator Instance { get; } = new();

    public bool IsValid(Credential credential, ReadOnlySpan<byte> signatureKey)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return credential.Type == CredentialType.Basic && credential.Identity is { Length: > 0 } && !signatureKey.IsEmpty;
    }
}
