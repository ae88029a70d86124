// RFC 9420 §11.2 (reinitialization) and §11.3 (subgroup branching): how a member creates the new group.
using Parley.Mls.Crypto;
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>How <see cref="MlsGroup.CreateReInitGroup"/> and <see cref="MlsGroup.CreateBranch"/> set up the
/// new group and its first Commit.</summary>
public sealed record LinkedGroupOptions
{
    /// <summary>The creator's signature key pair in the new group. Defaults to its key in the old group,
    /// which only a new group of the same cipher suite can use.</summary>
    public SignatureKeyPair? SignatureKeyPair { get; init; }

    /// <summary>The creator's credential in the new group; defaults to its credential in the old group.</summary>
    public Credential? Credential { get; init; }

    /// <summary>The creator's capabilities; the default lists the new group's suite and basic and X.509 credentials.</summary>
    public Capabilities? Capabilities { get; init; }

    /// <summary>Extensions of the creator's leaf node.</summary>
    public IReadOnlyList<Extension>? LeafExtensions { get; init; }

    /// <summary>The creator's leaf lifetime (seconds since the Unix epoch); unbounded by default.</summary>
    public Lifetime? Lifetime { get; init; }

    /// <summary>Send an UpdatePath in the first Commit although Adds and a PSK do not require one.</summary>
    public bool ForcePath { get; init; }

    /// <summary>Put the ratchet tree in the Welcome (default true); otherwise hand the new members
    /// <see cref="MlsGroup.ExportRatchetTree"/> of the new group out of band.</summary>
    public bool RatchetTreeInWelcome { get; init; } = true;

    /// <summary>The new group's local policy; defaults to the old group's.</summary>
    public MlsGroupOptions? GroupOptions { get; init; }
}
