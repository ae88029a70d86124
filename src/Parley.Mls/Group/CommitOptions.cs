// RFC 9420 §12.4 (Commit) and §12.4.3 (Welcome and GroupInfo for new members).
using Parley.Mls.Messages;

namespace Parley.Mls.Group;

/// <summary>What a Commit should contain and which messages to produce with it.</summary>
public sealed record CommitOptions
{
    /// <summary>Proposals the committer includes by value (its own Adds, Removes, PSKs, ...).</summary>
    public IReadOnlyList<Proposal> Proposals { get; init; } = [];

    /// <summary>Include the valid proposals received during the epoch, by reference (default true).</summary>
    public bool IncludePendingProposals { get; init; } = true;

    /// <summary>Send an UpdatePath even when no proposal requires one.</summary>
    public bool ForcePath { get; init; }

    /// <summary>Put the ratchet tree in the Welcome's GroupInfo (default true); otherwise new members
    /// must obtain the tree out of band.</summary>
    public bool RatchetTreeInWelcome { get; init; } = true;

    /// <summary>Also produce a signed GroupInfo of the new epoch for external joiners, with external_pub.</summary>
    public bool CreateGroupInfo { get; init; }

    /// <summary>Put the ratchet tree in that GroupInfo too.</summary>
    public bool RatchetTreeInGroupInfo { get; init; } = true;

    /// <summary>Put the external_pub extension in that GroupInfo (default true). Without it the GroupInfo
    /// lets its holder check the new epoch's GroupContext and the committer's signature, but not join.</summary>
    public bool ExternalPubInGroupInfo { get; init; } = true;

    /// <summary>The commit message's authenticated_data.</summary>
    public byte[] AuthenticatedData { get; init; } = [];
}

/// <summary>The messages a Commit produces. The group keeps its epoch until
/// <see cref="MlsGroup.MergePendingCommit"/> is called (once the delivery service accepted the Commit).</summary>
/// <param name="Commit">The Commit to send to the group (PublicMessage or PrivateMessage).</param>
/// <param name="Welcome">The Welcome for the members added, or null when none were.</param>
/// <param name="GroupInfo">The new epoch's GroupInfo for external joiners, when asked for.</param>
public sealed record CommitResult(MlsMessage Commit, MlsMessage? Welcome, MlsMessage? GroupInfo);
