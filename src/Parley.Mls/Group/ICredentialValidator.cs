// RFC 9420 §5.3.1 (credential validation).
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>Decides whether a credential, bound to a signature key, is acceptable to the application
/// (the Authentication Service's role in RFC 9420). Called for every leaf that enters the group view:
/// added members, updates, commit path leaves, the tree of a Welcome and external joiners.</summary>
public interface ICredentialValidator
{
    /// <summary>Returns true when <paramref name="credential"/> may be used with <paramref name="signatureKey"/>.</summary>
    bool IsValid(Credential credential, ReadOnlySpan<byte> signatureKey);
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
