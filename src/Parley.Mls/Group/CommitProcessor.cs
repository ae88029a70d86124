// RFC 9420 §12.4.2 (processing a Commit), §8.3 (external initialization) and §12.4.3.2 (external
// Commits as the group sees them).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>Applies a received, authenticated Commit to a copy of the group state.</summary>
internal static class CommitProcessor
{
    /// <summary>The exporter label of the external init secret (RFC 9420 §8.3).</summary>
    internal static readonly byte[] ExternalInitLabel = "MLS 1.0 external init secret"u8.ToArray();

    /// <summary>Processes <paramref name="content"/>, a Commit whose framing and signature were checked,
    /// and returns the new epoch's state (null when the Commit removed this member) with a summary.
    /// <paramref name="state"/> is left unchanged.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.SenderNotAllowed"/>,
    /// <see cref="MlsError.OwnCommitUnknown"/>, <see cref="MlsError.ConfirmationTagInvalid"/>,
    /// <see cref="MlsError.ProposalNotReceived"/>, <see cref="MlsError.CommitPathRequired"/>,
    /// <see cref="MlsError.ProposalListInvalid"/>, <see cref="MlsError.ExternalCommitProposalsInvalid"/>,
    /// <see cref="MlsError.UpdateInvalid"/>, <see cref="MlsError.ProposalForNonMember"/>,
    /// <see cref="MlsError.ProposalsConflict"/>, <see cref="MlsError.RemoveOfCommitter"/>,
    /// <see cref="MlsError.PskDuplicate"/>, <see cref="MlsError.ReInitLowersVersion"/>,
    /// <see cref="MlsError.PskNonceLength"/>, <see cref="MlsError.PskUsageInvalid"/>,
    /// <see cref="MlsError.PskUnavailable"/>, <see cref="MlsError.PskCountTooLarge"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/>, <see cref="MlsError.KeyPackageVersionOrSuite"/>,
    /// <see cref="MlsError.KeyPackageSignatureInvalid"/>, <see cref="MlsError.KeyPackageInitKeyInvalid"/>,
    /// <see cref="MlsError.KeyPackageExtensionUnsupported"/>, <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.TreeTooLarge"/>,
    /// <see cref="MlsError.SignatureKeyNotUnique"/>, <see cref="MlsError.EncryptionKeyNotUnique"/>,
    /// <see cref="MlsError.UpdatePathInvalid"/>, <see cref="MlsError.ParentHashInvalid"/>,
    /// <see cref="MlsError.BlankNode"/>, <see cref="MlsError.PathSecretUnavailable"/>,
    /// <see cref="MlsError.PathSecretKeyMismatch"/>, <see cref="MlsError.HpkeDecryptionFailed"/>,
    /// <see cref="MlsError.ExternalInitInvalid"/></exception>
    public static (GroupState? Next, CommitMessage Summary) Process(GroupState state, AuthenticatedContent content, MlsGroupOptions options)
    {
        var suite = state.Suite;
        var framed = content.Content;
        var commit = framed.Commit!;
        var sender = framed.Sender;
        bool external = sender.Type == SenderType.NewMemberCommit;
        if (!external && sender.Type != SenderType.Member)
        {
            throw new MlsProtocolException(MlsError.SenderNotAllowed, $"A {sender.Type} sender cannot send a Commit.");
        }
        if (!external && sender.LeafIndex == state.OwnLeaf)
        {
            throw new MlsProtocolException(MlsError.OwnCommitUnknown, "This member's own Commit can only be merged as its pending Commit.");
        }
        byte[] tag = content.Auth.ConfirmationTag ?? throw new MlsProtocolException(MlsError.ConfirmationTagInvalid, "The Commit has no confirmation tag.");

        // Resolve the proposal list.
        var proposals = new List<CommittedProposal>(commit.Proposals.Count);
        foreach (var p in commit.Proposals)
        {
            if (p.Proposal is not null)
            {
                proposals.Add(new CommittedProposal(p.Proposal, sender, null));
                continue;
            }
            var cached = state.Proposals.Find(p.Reference!)
                ?? throw new MlsProtocolException(MlsError.ProposalNotReceived, "The Commit refers to a proposal this member has not received.");
            proposals.Add(new CommittedProposal(cached.Proposal, cached.Sender, cached.Ref));
        }

        LeafIndex? committerLeaf = external ? null : sender.LeafIndex;
        var applied = ProposalList.Apply(state, proposals, committerLeaf, options);
        if (applied.PathRequired && commit.Path is null)
        {
            throw new MlsProtocolException(MlsError.CommitPathRequired, "The Commit's proposals require a path, but it has none.");
        }
        if (external && commit.Path is null)
        {
            throw new MlsProtocolException(MlsError.CommitPathRequired, "An external Commit must carry a path.");
        }

        var newTree = applied.Tree;
        Credential? senderCredential = external ? commit.Path!.LeafNode.Credential : state.Tree.GetLeaf(sender.LeafIndex)?.Credential;
        // Removed, possibly with the leaf refilled by an Add of the same Commit. Decided here, acted on only
        // after every check that needs no secret of the new epoch has passed (RFC 9420 §12.4.2): a removed
        // member cannot derive that epoch, so these checks are all that stands between it and a forgery.
        var ownLeafAfter = newTree.GetLeaf(state.OwnLeaf);
        bool removed = ownLeafAfter is null || (applied.OwnUpdateRef is null && !ownLeafAfter.Equals(state.Tree.GetLeaf(state.OwnLeaf)));

        // The committer's new leaf and the path's public keys, parent hashes and leaf signature.
        LeafIndex? pathLeaf = null;
        if (commit.Path is { } updatePath)
        {
            pathLeaf = committerLeaf ?? newTree.ReserveLeaf();
            CheckPathLeaf(state, applied, updatePath.LeafNode, pathLeaf.Value, external, options);
            newTree = TreeKem.MergeUpdatePath(newTree, pathLeaf.Value, updatePath, state.GroupId);
        }
        // An external Commit's kem_output must decapsulate under the group's external key.
        byte[]? externalInitSecret = external ? ExternalInitSecret(state, applied.ExternalInit!) : null;
        if (removed)
        {
            Wipe(externalInitSecret);
            var gone = new CommitMessage(sender, senderCredential, framed.AuthenticatedData, state.Epoch, state.Epoch + 1, proposals,
                applied.AddedLeaves, applied.Removed, true, applied.ReInit);
            return (null, gone);
        }

        var addedLeaves = applied.AddedLeaves;
        byte[]? commitSecret = null;
        byte[]? initSecret = externalInitSecret;
        byte[]? pskSecret = null;
        TreePrivateKeys? keys = state.PrivateKeys.Clone();
        EpochSecrets? secrets = null;
        try
        {
            // This member's own Update, committed by another member: its leaf now has the new key.
            if (applied.OwnUpdateRef is not null)
            {
                byte[] updateKey = state.Proposals.FindUpdateKey(applied.OwnUpdateRef)
                    ?? throw new MlsProtocolException(MlsError.OwnCommitUnknown, "The Commit applies an Update of this member whose private key is not held.");
                keys.SetPrivateKey(state.OwnLeaf.Node, updateKey);
            }
            // Forget the keys of nodes the proposals blanked (the path's new keys come next).
            keys.Prune(applied.Tree);

            var provisional = state.Context with { Epoch = state.Epoch + 1, TreeHash = newTree.TreeHash(), Extensions = applied.Extensions };
            if (commit.Path is { } path)
            {
                commitSecret = TreeKem.DecryptUpdatePath(newTree, pathLeaf!.Value, path, keys, provisional.ToBytes(), addedLeaves);
                if (external)
                {
                    addedLeaves = [.. addedLeaves, pathLeaf.Value];
                }
            }
            else
            {
                commitSecret = EpochKeySchedule.ZeroSecret(suite);
            }

            initSecret ??= state.Secrets.InitSecret.ToArray();
            pskSecret = PskResolution.ComputePskSecret(suite, applied.Psks, state, options);

            byte[] confirmed = TranscriptHash.Confirmed(suite, state.InterimTranscriptHash, content);
            var newContext = provisional with { ConfirmedTranscriptHash = confirmed };
            secrets = EpochKeySchedule.Advance(suite, initSecret, commitSecret, pskSecret, newContext);
            if (!secrets.VerifyConfirmationTag(confirmed, tag))
            {
                throw new MlsProtocolException(MlsError.ConfirmationTagInvalid, "The Commit's confirmation tag is invalid.");
            }
            secrets.DeleteTransitionSecrets();
            byte[] interim = TranscriptHash.Interim(suite, confirmed, tag);

            var history = GroupState.ExtendHistory(state.ResumptionPsks, newContext.Epoch, secrets.ExportResumptionPsk(), options.ResumptionPskHistory);
            var next = new GroupState(suite, newContext, newTree, state.OwnLeaf, keys, (byte[])state.SignaturePrivateKey.Clone(),
                secrets, secrets.CreateSecretTree(newTree.LeafCount), interim, (byte[])tag.Clone(), new ProposalCache(), history)
            {
                Active = applied.ReInit is null,
                ReInit = applied.ReInit,
            };
            keys = null;
            secrets = null;
            var summary = new CommitMessage(sender, senderCredential, framed.AuthenticatedData, state.Epoch, newContext.Epoch, proposals,
                addedLeaves, applied.Removed, false, applied.ReInit);
            return (next, summary);
        }
        finally
        {
            keys?.Dispose();
            secrets?.Dispose();
            Wipe(commitSecret);
            Wipe(initSecret);
            Wipe(pskSecret);
        }
    }

    /// <summary>init_secret from an ExternalInit: SetupBaseR(kem_output, external_priv, "") and
    /// export("MLS 1.0 external init secret", KDF.Nh).</summary>
    private static byte[] ExternalInitSecret(GroupState state, ExternalInit init)
    {
        var suite = state.Suite;
        if (init.KemOutput.Length != suite.Hpke.EncapsulatedKeyLength)
        {
            throw new MlsProtocolException(MlsError.ExternalInitInvalid, "The ExternalInit proposal's kem_output has the wrong length.");
        }
        try
        {
            using var context = suite.Hpke.SetupBaseR(init.KemOutput, state.Secrets.ExternalKeyPair.PrivateKey, ReadOnlySpan<byte>.Empty);
            return context.Export(ExternalInitLabel, suite.HashLength);
        }
        catch (CryptographicException)
        {
            throw new MlsProtocolException(MlsError.ExternalInitInvalid, "The ExternalInit proposal's kem_output is invalid.");
        }
    }

    // RFC 9420 §7.3 and §12.4.2: the committer's new leaf node (its signature and parent hash are
    // checked when the path is merged).
    private static void CheckPathLeaf(GroupState state, AppliedProposals applied, LeafNode leaf, LeafIndex pathLeaf, bool external,
        MlsGroupOptions options)
    {
        LeafNodeValidation.Validate(state.Suite, leaf, LeafNodeSource.Commit, applied.Extensions, options, state.GroupId, pathLeaf,
            checkSignature: false);
        var tree = applied.Tree;
        if (tree.FindLeafBySignatureKey(leaf.SignatureKey) is { } holder && holder != pathLeaf)
        {
            throw new MlsProtocolException(MlsError.SignatureKeyNotUnique, "The Commit's new leaf node reuses another member's signature key.");
        }
        if (external)
        {
            // A resync: the joiner may only remove a former appearance of itself.
            foreach (var (_, credential) in applied.Removed)
            {
                if (!credential.Equals(leaf.Credential))
                {
                    throw new MlsProtocolException(MlsError.ExternalCommitProposalsInvalid, "An external Commit may only remove the joiner's own earlier leaf.");
                }
            }
        }
        var previous = tree.GetLeaf(pathLeaf);
        if (previous is null || previous.Credential.Type != leaf.Credential.Type
            || !previous.Capabilities.Credentials.SequenceEqual(leaf.Capabilities.Credentials))
        {
            LeafNodeValidation.CheckCredentialTypes(tree, (pathLeaf, leaf));
        }
    }

    private static void Wipe(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
