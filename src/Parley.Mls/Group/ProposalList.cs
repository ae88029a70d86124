// RFC 9420 §12.2 (proposal list validation) and §12.3 (applying a proposal list), with the
// per-proposal rules of §12.1.1-§12.1.7.
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>The effect of a validated proposal list on a copy of the group's tree and extensions.</summary>
internal sealed class AppliedProposals
{
    public required RatchetTree Tree { get; init; }

    public required IReadOnlyList<Extension> Extensions { get; init; }

    public List<(LeafIndex Leaf, KeyPackage KeyPackage)> Added { get; } = new();

    public List<(LeafIndex Leaf, Credential Credential)> Removed { get; } = new();

    public List<PreSharedKeyId> Psks { get; } = new();

    public ExternalInit? ExternalInit { get; set; }

    public ReInit? ReInit { get; set; }

    /// <summary>The reference of this member's own Update proposal, when another member committed it.</summary>
    public byte[]? OwnUpdateRef { get; set; }

    public bool PathRequired { get; set; }

    public IReadOnlyList<LeafIndex> AddedLeaves => Added.Select(a => a.Leaf).ToArray();
}

/// <summary>Validates and applies the proposals of a Commit.</summary>
internal static class ProposalList
{
    /// <summary>Validates <paramref name="proposals"/> (RFC 9420 §12.2) for a Commit by
    /// the member at <paramref name="committerLeaf"/> and applies them in the order of §12.3 to a copy of the tree.
    /// <paramref name="committerLeaf"/> is null for an external Commit. Throws
    /// <see cref="MlsProtocolException"/> when the list is invalid. <paramref name="linkPsk"/> is the one
    /// reinit or branch PSK allowed, in the first Commit of a reinitialized or branched group.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.ProposalListInvalid"/>,
    /// <see cref="MlsError.ExternalCommitProposalsInvalid"/>, <see cref="MlsError.UpdateInvalid"/>,
    /// <see cref="MlsError.ProposalForNonMember"/>, <see cref="MlsError.ProposalsConflict"/>,
    /// <see cref="MlsError.RemoveOfCommitter"/>, <see cref="MlsError.PskDuplicate"/>,
    /// <see cref="MlsError.ReInitLowersVersion"/>, <see cref="MlsError.PskNonceLength"/>,
    /// <see cref="MlsError.PskUsageInvalid"/>, <see cref="MlsError.PskUnavailable"/>,
    /// <see cref="MlsError.PskCountTooLarge"/>, <see cref="MlsError.GroupContextExtensionInvalid"/>,
    /// <see cref="MlsError.KeyPackageVersionOrSuite"/>, <see cref="MlsError.KeyPackageSignatureInvalid"/>,
    /// <see cref="MlsError.KeyPackageInitKeyInvalid"/>, <see cref="MlsError.KeyPackageExtensionUnsupported"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.CredentialRejected"/>, <see cref="MlsError.LeafNodeSignatureInvalid"/>,
    /// <see cref="MlsError.LeafNodeLifetimeExpired"/>, <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.TreeTooLarge"/></exception>
    public static AppliedProposals Apply(GroupState state, IReadOnlyList<CommittedProposal> proposals, LeafIndex? committerLeaf,
        MlsGroupOptions options, PreSharedKeyId? linkPsk = null)
    {
        var suite = state.Suite;
        bool external = committerLeaf is null;
        CheckComposition(proposals, external);

        // 1. GroupContextExtensions: the new extensions govern the checks of the other proposals.
        IReadOnlyList<Extension> extensions = state.Context.Extensions;
        var gce = proposals.Select(p => p.Proposal).OfType<GroupContextExtensions>().SingleOrDefault();
        if (gce is not null)
        {
            GroupExtensions.CheckWellFormed(gce.Extensions);
            extensions = gce.Extensions;
        }

        var tree = state.Tree.Clone();
        var result = new AppliedProposals { Tree = tree, Extensions = extensions };
        var touched = new HashSet<LeafIndex>();

        // 2. Updates.
        foreach (var p in proposals)
        {
            if (p.Proposal is not Update update)
            {
                continue;
            }
            if (p.Sender.Type != SenderType.Member)
            {
                throw new MlsProtocolException(MlsError.UpdateInvalid, $"An Update proposal from a {p.Sender.Type} sender is invalid.");
            }
            var leaf = p.Sender.LeafIndex;
            if (leaf == committerLeaf)
            {
                throw new MlsProtocolException(MlsError.UpdateInvalid, "A Commit cannot include an Update proposal from the committer.");
            }
            var current = tree.GetLeaf(leaf) ?? throw new MlsProtocolException(MlsError.ProposalForNonMember, $"An Update proposal from {leaf}, which is not a member.");
            if (!touched.Add(leaf))
            {
                throw new MlsProtocolException(MlsError.ProposalsConflict, $"The Commit has several Update or Remove proposals for {leaf}.");
            }
            LeafNodeValidation.Validate(suite, update.LeafNode, LeafNodeSource.Update, extensions, options, state.GroupId, leaf);
            if (update.LeafNode.EncryptionKey.AsSpan().SequenceEqual(current.EncryptionKey))
            {
                throw new MlsProtocolException(MlsError.UpdateInvalid, $"The Update proposal of {leaf} keeps its encryption key.");
            }
            tree.UpdateLeaf(leaf, update.LeafNode);
            if (leaf == state.OwnLeaf)
            {
                result.OwnUpdateRef = p.Ref;
            }
        }

        // 3. Removes.
        foreach (var p in proposals)
        {
            if (p.Proposal is not Remove remove)
            {
                continue;
            }
            var leaf = remove.Removed;
            if (leaf == committerLeaf)
            {
                throw new MlsProtocolException(MlsError.RemoveOfCommitter, "A Commit cannot remove the committer.");
            }
            var current = tree.GetLeaf(leaf) ?? throw new MlsProtocolException(MlsError.ProposalForNonMember, $"A Remove proposal for {leaf}, which is not a member.");
            if (!touched.Add(leaf))
            {
                throw new MlsProtocolException(MlsError.ProposalsConflict, $"The Commit has several Update or Remove proposals for {leaf}.");
            }
            tree.RemoveLeaf(leaf);
            result.Removed.Add((leaf, current.Credential));
        }

        // 4. Adds, in list order.
        foreach (var p in proposals)
        {
            if (p.Proposal is not Add add)
            {
                continue;
            }
            LeafNodeValidation.ValidateKeyPackage(suite, add.KeyPackage, extensions, options);
            result.Added.Add((tree.AddLeaf(add.KeyPackage.LeafNode), add.KeyPackage));
        }

        // 5. PSKs, 6. ExternalInit, 7. ReInit.
        var pskIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in proposals)
        {
            switch (p.Proposal)
            {
                case PreSharedKey psk:
                    if (linkPsk is not null && psk.Psk.Equals(linkPsk) && psk.Psk.PskNonce.Length == suite.HashLength)
                    {
                        result.Psks.Add(psk.Psk);
                        pskIds.Add(Convert.ToHexString(psk.Psk.ToBytes()));
                        break;
                    }
                    CheckPsk(suite, psk.Psk);
                    if (!pskIds.Add(Convert.ToHexString(psk.Psk.ToBytes())))
                    {
                        throw new MlsProtocolException(MlsError.PskDuplicate, "The Commit names the same PSK twice.");
                    }
                    result.Psks.Add(psk.Psk);
                    break;
                case ExternalInit init:
                    result.ExternalInit = init;
                    break;
                case ReInit reInit:
                    if (reInit.Version < ProtocolVersion.Mls10)
                    {
                        throw new MlsProtocolException(MlsError.ReInitLowersVersion, "A ReInit proposal may not lower the protocol version.");
                    }
                    result.ReInit = reInit;
                    break;
            }
        }

        if (result.Added.Count > 0 || touched.Count > result.Removed.Count)
        {
            TreeValidation.VerifyUniqueKeys(tree);
            LeafNodeValidation.CheckCredentialTypes(tree);
        }
        if (gce is not null)
        {
            LeafNodeValidation.CheckMembersSupport(tree, extensions);
        }
        result.PathRequired = proposals.Count == 0 || proposals.Any(p => RequiresPath(p.Proposal.Type));
        return result;
    }

    /// <summary>Checks a proposal received on its own (RFC 9420 §12.1) against the current epoch, so that
    /// an invalid proposal never enters the cache. The rules that depend on the other proposals of a
    /// Commit are checked again when it is committed.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.UpdateInvalid"/>,
    /// <see cref="MlsError.ProposalForNonMember"/>, <see cref="MlsError.PskNonceLength"/>,
    /// <see cref="MlsError.PskUsageInvalid"/>, <see cref="MlsError.ReInitLowersVersion"/>,
    /// <see cref="MlsError.ProposalListInvalid"/>, <see cref="MlsError.GroupContextExtensionInvalid"/>,
    /// <see cref="MlsError.KeyPackageVersionOrSuite"/>, <see cref="MlsError.KeyPackageSignatureInvalid"/>,
    /// <see cref="MlsError.KeyPackageInitKeyInvalid"/>, <see cref="MlsError.KeyPackageExtensionUnsupported"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.CredentialRejected"/>, <see cref="MlsError.LeafNodeSignatureInvalid"/>,
    /// <see cref="MlsError.LeafNodeLifetimeExpired"/>, <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/></exception>
    public static void ValidateReceived(GroupState state, Proposal proposal, Sender sender, MlsGroupOptions options)
    {
        var suite = state.Suite;
        switch (proposal)
        {
            case Add add:
                LeafNodeValidation.ValidateKeyPackage(suite, add.KeyPackage, state.Context.Extensions, options);
                break;
            case Update update:
                {
                    if (sender.Type != SenderType.Member)
                    {
                        throw new MlsProtocolException(MlsError.UpdateInvalid, "Only a member can propose an Update.");
                    }
                    var current = state.Tree.GetLeaf(sender.LeafIndex) ?? throw new MlsProtocolException(MlsError.ProposalForNonMember, "An Update from a blank leaf.");
                    LeafNodeValidation.Validate(suite, update.LeafNode, LeafNodeSource.Update, state.Context.Extensions, options,
                        state.GroupId, sender.LeafIndex);
                    if (update.LeafNode.EncryptionKey.AsSpan().SequenceEqual(current.EncryptionKey))
                    {
                        throw new MlsProtocolException(MlsError.UpdateInvalid, "An Update proposal must change the leaf's encryption key.");
                    }
                    break;
                }
            case Remove remove when state.Tree.GetLeaf(remove.Removed) is null:
                throw new MlsProtocolException(MlsError.ProposalForNonMember, $"A Remove proposal for {remove.Removed}, which is not a member.");
            case PreSharedKey psk:
                CheckPsk(suite, psk.Psk);
                break;
            case GroupContextExtensions gce:
                GroupExtensions.CheckWellFormed(gce.Extensions);
                break;
            case ReInit reInit when reInit.Version < ProtocolVersion.Mls10:
                throw new MlsProtocolException(MlsError.ReInitLowersVersion, "A ReInit proposal may not lower the protocol version.");
            case ExternalInit:
                throw new MlsProtocolException(MlsError.ProposalListInvalid, "An ExternalInit proposal cannot be sent on its own.");
        }
    }

    /// <summary>Whether a proposal type requires the Commit to carry a path (RFC 9420 §12.4):
    /// all but add, psk and reinit do.</summary>
    public static bool RequiresPath(ushort type) => type is not (ProposalType.Add or ProposalType.Psk or ProposalType.ReInit);

    /// <summary>Checks a PreSharedKeyID outside reinitialization and branching (RFC 9420 §12.1.4).</summary>
    public static void CheckPsk(CipherSuite suite, PreSharedKeyId psk)
    {
        if (psk.PskNonce.Length != suite.HashLength)
        {
            throw new MlsProtocolException(MlsError.PskNonceLength, $"A PSK nonce must be KDF.Nh = {suite.HashLength} bytes.");
        }
        if (psk.Type == PskType.Resumption && psk.Usage != ResumptionPskUsage.Application)
        {
            throw new MlsProtocolException(MlsError.PskUsageInvalid, $"A resumption PSK with usage {psk.Usage} is only valid when reinitializing or branching.");
        }
    }

    // The rules on which proposals may appear together (RFC 9420 §12.2).
    private static void CheckComposition(IReadOnlyList<CommittedProposal> proposals, bool external)
        => CommitComposition.Check(proposals.Select(p => (p.Proposal.Type, p.Ref is not null)).ToList(), external);
}
