// RFC 9420 §7.3 (leaf node validation), §10.1 (KeyPackage validation) and §11.1 (required capabilities).
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>The checks of RFC 9420 §7.3 that concern one leaf node, and the group-wide ones
/// (credential type support, unique keys) run once over the tree after a change.</summary>
internal static class LeafNodeValidation
{
    /// <summary>Validates a leaf node on its own: source, credential, signature (when
    /// <paramref name="checkSignature"/>), required capabilities, extension support and, for key
    /// package leaves when the application gives the time, the lifetime.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/></exception>
    public static void Validate(
        CipherSuite suite,
        LeafNode leaf,
        LeafNodeSource expectedSource,
        IReadOnlyList<Extension> groupExtensions,
        MlsGroupOptions options,
        byte[]? groupId,
        LeafIndex? leafIndex,
        bool checkSignature = true)
    {
        if (leaf.Source != expectedSource)
        {
            throw new MlsProtocolException(MlsError.LeafNodeSourceWrong, $"A leaf node with source {leaf.Source} appeared where {expectedSource} is required.");
        }
        if (!suite.Hpke.IsWellFormedPublicKey(leaf.EncryptionKey))
        {
            throw new MlsProtocolException(MlsError.LeafNodeKeyInvalid, "A leaf node's encryption key has the wrong length or form for the cipher suite.");
        }
        if (!options.CredentialValidator.IsValid(leaf.Credential, leaf.SignatureKey))
        {
            throw new MlsProtocolException(MlsError.CredentialRejected, "A leaf node's credential was rejected by the credential validator.");
        }
        if (checkSignature && !leaf.Verify(suite, groupId, leafIndex))
        {
            throw new MlsProtocolException(MlsError.LeafNodeSignatureInvalid, "A leaf node's signature is invalid.");
        }
        CheckCapabilities(leaf, groupExtensions);
        if (leaf.Source == LeafNodeSource.KeyPackage && options.Now is { } now)
        {
            ulong t = now();
            if (leaf.Lifetime is null || t < leaf.Lifetime.NotBefore || t > leaf.Lifetime.NotAfter)
            {
                throw new MlsProtocolException(MlsError.LeafNodeLifetimeExpired, "A key package leaf node is outside its lifetime.");
            }
        }
    }

    /// <summary>Checks that the leaf supports the group's required capabilities and lists its own
    /// credential type and non-default extension types.</summary>
    public static void CheckCapabilities(LeafNode leaf, IReadOnlyList<Extension> groupExtensions)
    {
        var caps = leaf.Capabilities;
        if (!caps.Credentials.Contains(leaf.Credential.Type))
        {
            throw new MlsProtocolException(MlsError.LeafNodeCapabilitiesInsufficient, $"A leaf node does not list its own credential type {leaf.Credential.Type} as supported.");
        }
        foreach (var e in leaf.Extensions)
        {
            if (!ExtensionType.IsDefault(e.Type) && !caps.Extensions.Contains(e.Type))
            {
                throw new MlsProtocolException(MlsError.LeafNodeCapabilitiesInsufficient, $"A leaf node carries extension {e.Type} that its capabilities do not list.");
            }
        }
        if (GroupExtensions.RequiredCapabilities(groupExtensions) is { } required && !Supports(caps, required))
        {
            throw new MlsProtocolException(MlsError.LeafNodeCapabilitiesInsufficient, "A leaf node does not support the group's required capabilities.");
        }
        foreach (var e in groupExtensions)
        {
            if (!ExtensionType.IsDefault(e.Type) && !caps.Extensions.Contains(e.Type))
            {
                throw new MlsProtocolException(MlsError.LeafNodeCapabilitiesInsufficient, $"A leaf node does not support group context extension {e.Type}.");
            }
        }
    }

    /// <summary>Whether <paramref name="caps"/> covers every required type (default types need not be listed).</summary>
    public static bool Supports(Capabilities caps, RequiredCapabilities required)
    {
        foreach (ushort t in required.ExtensionTypes)
        {
            if (!ExtensionType.IsDefault(t) && !caps.Extensions.Contains(t))
            {
                return false;
            }
        }
        foreach (ushort t in required.ProposalTypes)
        {
            if (!ProposalType.IsDefault(t) && !caps.Proposals.Contains(t))
            {
                return false;
            }
        }
        foreach (ushort t in required.CredentialTypes)
        {
            if (!caps.Credentials.Contains(t))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Validates a KeyPackage for an Add (RFC 9420 §10.1): version and suite match the group,
    /// its signature and leaf node are valid, and its init key differs from the leaf's encryption key.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.KeyPackageVersionOrSuite"/>,
    /// <see cref="MlsError.KeyPackageSignatureInvalid"/>, <see cref="MlsError.KeyPackageInitKeyInvalid"/>,
    /// <see cref="MlsError.KeyPackageExtensionUnsupported"/>, <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/></exception>
    public static void ValidateKeyPackage(CipherSuite suite, KeyPackage keyPackage, IReadOnlyList<Extension> groupExtensions, MlsGroupOptions options)
    {
        if (keyPackage.Version != ProtocolVersion.Mls10)
        {
            throw new MlsProtocolException(MlsError.KeyPackageVersionOrSuite, $"A key package has protocol version {keyPackage.Version}, not mls10.");
        }
        if (keyPackage.CipherSuite != suite.Id)
        {
            throw new MlsProtocolException(MlsError.KeyPackageVersionOrSuite, $"A key package is for cipher suite {keyPackage.CipherSuite}, not the group's {suite.Id}.");
        }
        if (!keyPackage.Verify(suite))
        {
            throw new MlsProtocolException(MlsError.KeyPackageSignatureInvalid, "A key package's signature is invalid.");
        }
        if (!suite.Hpke.IsWellFormedPublicKey(keyPackage.InitKey))
        {
            throw new MlsProtocolException(MlsError.KeyPackageInitKeyInvalid, "A key package's init key has the wrong length or form for the cipher suite.");
        }
        if (keyPackage.InitKey.AsSpan().SequenceEqual(keyPackage.LeafNode.EncryptionKey))
        {
            throw new MlsProtocolException(MlsError.KeyPackageInitKeyInvalid, "A key package's init key equals its leaf encryption key.");
        }
        Validate(suite, keyPackage.LeafNode, LeafNodeSource.KeyPackage, groupExtensions, options, null, null);
        var caps = keyPackage.LeafNode.Capabilities;
        if (!caps.Versions.Contains(ProtocolVersion.Mls10) || !caps.CipherSuites.Contains(suite.Id))
        {
            throw new MlsProtocolException(MlsError.KeyPackageVersionOrSuite, "A key package's capabilities do not list the group's version and cipher suite.");
        }
        foreach (var e in keyPackage.Extensions)
        {
            if (!ExtensionType.IsDefault(e.Type) && !caps.Extensions.Contains(e.Type))
            {
                throw new MlsProtocolException(MlsError.KeyPackageExtensionUnsupported, $"A key package carries extension {e.Type} that its capabilities do not list.");
            }
        }
    }

    /// <summary>Checks that every member supports every credential type in use (RFC 9420 §7.3), in one
    /// pass: the types in use must lie in the intersection of all members' supported types.
    /// <paramref name="replacing"/> stands in for the leaf at its index (a path's new leaf).</summary>
    public static void CheckCredentialTypes(RatchetTree tree, (LeafIndex Index, LeafNode Leaf)? replacing = null)
    {
        HashSet<ushort>? supportedByAll = null;
        var inUse = new HashSet<ushort>();
        var leaves = tree.EnumerateLeaves();
        if (replacing is { } r)
        {
            leaves = leaves.Where(l => l.Index != r.Index).Append(r);
        }
        foreach (var (_, leaf) in leaves)
        {
            inUse.Add(leaf.Credential.Type);
            if (supportedByAll is null)
            {
                supportedByAll = new HashSet<ushort>(leaf.Capabilities.Credentials);
            }
            else
            {
                supportedByAll.IntersectWith(leaf.Capabilities.Credentials);
            }
        }
        if (supportedByAll is not null && !inUse.IsSubsetOf(supportedByAll))
        {
            throw new MlsProtocolException(MlsError.CredentialTypeNotSupportedByAll, "Some member's credential type is not supported by every member.");
        }
    }

    /// <summary>Checks that every member supports the group context extensions and required capabilities
    /// in <paramref name="extensions"/> (a GroupContextExtensions proposal, RFC 9420 §12.1.7).</summary>
    public static void CheckMembersSupport(RatchetTree tree, IReadOnlyList<Extension> extensions)
    {
        var required = GroupExtensions.RequiredCapabilities(extensions);
        ushort[] nonDefault = extensions.Where(e => !ExtensionType.IsDefault(e.Type)).Select(e => e.Type).ToArray();
        if (required is null && nonDefault.Length == 0)
        {
            return;
        }
        foreach (var (index, leaf) in tree.EnumerateLeaves())
        {
            if (required is not null && !Supports(leaf.Capabilities, required))
            {
                throw new MlsProtocolException(MlsError.LeafNodeCapabilitiesInsufficient, $"The member at {index} does not support the proposed required capabilities.");
            }
            foreach (ushort t in nonDefault)
            {
                if (!leaf.Capabilities.Extensions.Contains(t))
                {
                    throw new MlsProtocolException(MlsError.LeafNodeCapabilitiesInsufficient, $"The member at {index} does not support group context extension {t}.");
                }
            }
        }
    }
}
