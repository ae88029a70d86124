// RFC 9420 §11.2: a member of a group closed by a ReInit, waiting to create or join the new group.
using System.Security.Cryptography;
using Parley.Mls.Crypto;
using Parley.Mls.Group;

namespace Parley.Mls.Interop;

/// <summary>A reinitialization in progress for one member (the harness's reinit_id): the old group's state,
/// and this member's signature key and key package for the new cipher suite.</summary>
public sealed class PendingReInit(MemberState old, SignatureKeyPair signatureKeys, KeyPackageBundle keyPackage) : IDisposable
{
    /// <summary>The closed group: it holds the ReInit and the resumption PSK that links the new group.</summary>
    public MemberState Old { get; } = old;

    /// <summary>This member's signature key pair in the new group, should it create the group.</summary>
    public SignatureKeyPair SignatureKeys { get; } = signatureKeys;

    /// <summary>This member's key package for the new group, should another member create it.</summary>
    public KeyPackageBundle KeyPackage { get; } = keyPackage;

    public void Dispose()
    {
        KeyPackage.Dispose();
        CryptographicOperations.ZeroMemory(SignatureKeys.PrivateKey);
    }

    public override string ToString() => $"PendingReInit(suite {KeyPackage.Suite.Id})";
}
