// RFC 9420 §12.4.1 (creating a Commit), §12.4.3 (GroupInfo) and §12.4.3.1 (Welcome).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>Creates Commits (and their Welcome and GroupInfo) for a member.</summary>
internal static class CommitBuilder
{
    /// <summary>Builds a Commit over the cached proposals (as chosen) and <paramref name="commitOptions"/>'
    /// proposals by value. The current state is not changed, except that sending a PrivateMessage
    /// advances this member's handshake ratchet. <paramref name="link"/> is set for the first Commit of a
    /// reinitialized or branched group, whose PSK it supplies.</summary>
    public static (CommitResult Result, PendingCommit Pending) Create(GroupState state, MlsGroupOptions options, CommitOptions commitOptions,
        ResumptionLink? link = null)
    {
        var suite = state.Suite;
        var proposals = ChooseProposals(state, commitOptions, options);
        // The tree hashes are cached on the tree, and the new tree starts as a copy of this one: hashing this
        // one first (once per epoch; at once after loading a saved state) lets every Commit of the epoch hash only
        // the nodes it changes, instead of the whole tree again on each copy.
        state.Tree.TreeHash();
        var applied = ProposalList.Apply(state, proposals, state.OwnLeaf, options, link?.Psk);
        bool withPath = applied.PathRequired || commitOptions.ForcePath;

        PreparedUpdatePath? prepared = null;
        byte[]? commitSecret = null;
        byte[]? pskSecret = null;
        TreePrivateKeys? newKeys = null;
        EpochSecrets? newSecrets = null;
        try
        {
            RatchetTree newTree;
            UpdatePath? path = null;
            GroupContext provisional;
            if (withPath)
            {
                prepared = TreeKem.PrepareUpdatePath(applied.Tree, state.OwnLeaf, state.OwnLeafNode, state.SignaturePrivateKey, state.GroupId);
                newTree = prepared.Tree;
                provisional = state.Context with { Epoch = state.Epoch + 1, TreeHash = newTree.TreeHash(), Extensions = applied.Extensions };
                path = prepared.Encrypt(provisional.ToBytes(), applied.AddedLeaves);
                commitSecret = prepared.ExportCommitSecret();
                newKeys = prepared.TakePrivateKeys();
            }
            else
            {
                newTree = applied.Tree;
                commitSecret = EpochKeySchedule.ZeroSecret(suite);
                newKeys = state.PrivateKeys.Clone();
                newKeys.Prune(newTree);
                provisional = state.Context with { Epoch = state.Epoch + 1, TreeHash = newTree.TreeHash(), Extensions = applied.Extensions };
            }
            pskSecret = PskResolution.ComputePskSecret(suite, applied.Psks, state, options, link);

            var commit = new Commit(proposals.Select(p => p.Ref is null ? new ProposalOrRef(p.Proposal) : new ProposalOrRef(p.Ref)).ToArray(), path);
            var framed = FramedContent.ForCommit(state.GroupId, state.Epoch, Sender.Member(state.OwnLeaf), commitOptions.AuthenticatedData, commit);
            var content = GroupFraming.Sign(state, GroupFraming.HandshakeWireFormat(options), framed);

            byte[] confirmed = TranscriptHash.Confirmed(suite, state.InterimTranscriptHash, content);
            var newContext = provisional with { ConfirmedTranscriptHash = confirmed };
            newSecrets = EpochKeySchedule.Advance(suite, state.Secrets.InitSecret, commitSecret, pskSecret, newContext);
            byte[] tag = newSecrets.ComputeConfirmationTag(confirmed);
            content = content.WithConfirmationTag(tag);
            byte[] interim = TranscriptHash.Interim(suite, confirmed, tag);

            MlsMessage? welcome = null;
            if (applied.Added.Count > 0)
            {
                var groupInfo = SignGroupInfo(suite, newContext, newTree, newSecrets, tag, state.OwnLeaf, state.SignaturePrivateKey,
                    commitOptions.RatchetTreeInWelcome, includeExternalPub: false);
                welcome = new MlsMessage(CreateWelcome(suite, groupInfo, newSecrets, applied, prepared));
            }
            MlsMessage? externalGroupInfo = commitOptions.CreateGroupInfo
                ? new MlsMessage(SignGroupInfo(suite, newContext, newTree, newSecrets, tag, state.OwnLeaf, state.SignaturePrivateKey,
                    commitOptions.RatchetTreeInGroupInfo, commitOptions.ExternalPubInGroupInfo))
                : null;
            newSecrets.DeleteTransitionSecrets();

            // Protect with the keys of the current epoch; this is the last step that can fail.
            var message = GroupFraming.Protect(state, content, options);

            var history = GroupState.ExtendHistory(state.ResumptionPsks, newContext.Epoch, newSecrets.ExportResumptionPsk(),
                options.ResumptionPskHistory);
            var next = new GroupState(suite, newContext, newTree, state.OwnLeaf, newKeys, (byte[])state.SignaturePrivateKey.Clone(),
                newSecrets, newSecrets.CreateSecretTree(newTree.LeafCount), interim, tag, new ProposalCache(), history)
            {
                Active = applied.ReInit is null,
                ReInit = applied.ReInit,
            };
            newKeys = null;
            newSecrets = null;
            var summary = new CommitMessage(Sender.Member(state.OwnLeaf), state.OwnLeafNode.Credential, commitOptions.AuthenticatedData,
                state.Epoch, newContext.Epoch, proposals, applied.AddedLeaves, applied.Removed, false, applied.ReInit);
            return (new CommitResult(message, welcome, externalGroupInfo), new PendingCommit(message.ToBytes(), next, summary));
        }
        finally
        {
            prepared?.Dispose();
            newKeys?.Dispose();
            newSecrets?.Dispose();
            if (commitSecret is not null)
            {
                CryptographicOperations.ZeroMemory(commitSecret);
            }
            if (pskSecret is not null)
            {
                CryptographicOperations.ZeroMemory(pskSecret);
            }
        }
    }

    /// <summary>Builds and signs the GroupInfo of an epoch (RFC 9420 §12.4.3).</summary>
    public static GroupInfo SignGroupInfo(CipherSuite suite, GroupContext context, RatchetTree tree, EpochSecrets secrets, byte[] confirmationTag,
        LeafIndex signer, ReadOnlySpan<byte> signaturePrivateKey, bool includeRatchetTree, bool includeExternalPub)
    {
        var extensions = new List<Extension>(2);
        if (includeRatchetTree)
        {
            extensions.Add(new Extension(ExtensionType.RatchetTree, tree.ToBytes()));
        }
        if (includeExternalPub)
        {
            extensions.Add(new Extension(ExtensionType.ExternalPub, new ExternalPub(secrets.ExternalPublicKey).ToBytes()));
        }
        return new GroupInfo(context, extensions, confirmationTag, signer, []).Sign(suite, signaturePrivateKey);
    }

    // RFC 9420 §12.4.3.1: the GroupInfo encrypted under the welcome key, and for each new member the
    // GroupSecrets encrypted to its init key with the encrypted GroupInfo as context.
    private static Welcome CreateWelcome(CipherSuite suite, GroupInfo groupInfo, EpochSecrets secrets, AppliedProposals applied,
        PreparedUpdatePath? path)
    {
        var (key, nonce) = EpochKeySchedule.WelcomeKeyAndNonce(suite, secrets.WelcomeSecret);
        byte[] encryptedGroupInfo;
        try
        {
            encryptedGroupInfo = suite.AeadSeal(key, nonce, ReadOnlySpan<byte>.Empty, groupInfo.ToBytes());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(nonce);
        }

        var sealer = new WelcomeSealer(suite, encryptedGroupInfo);
        var secretsList = new EncryptedGroupSecrets[applied.Added.Count];
        for (int i = 0; i < secretsList.Length; i++)
        {
            var (leaf, keyPackage) = applied.Added[i];
            byte[]? pathSecret = path?.ExportPathSecret(leaf);
            var groupSecrets = new GroupSecrets(secrets.JoinerSecret.ToArray(), pathSecret is null ? null : new PathSecret(pathSecret), applied.Psks);
            var w = new TlsWriter(256);
            try
            {
                groupSecrets.Encode(w);
                var ciphertext = sealer.Seal(keyPackage.InitKey, w.WrittenSpan);
                secretsList[i] = new EncryptedGroupSecrets(keyPackage.Ref(suite), ciphertext);
            }
            finally
            {
                w.Clear();
                CryptographicOperations.ZeroMemory(groupSecrets.JoinerSecret);
                if (pathSecret is not null)
                {
                    CryptographicOperations.ZeroMemory(pathSecret);
                }
            }
        }
        return new Welcome(suite.Id, secretsList, encryptedGroupInfo);
    }

    // RFC 9420 §12.4: include the proposals received in the epoch that can be committed together
    // (preferring a Remove over Updates of the same leaf, the latest Update otherwise), then the
    // committer's own proposals by value.
    private static List<CommittedProposal> ChooseProposals(GroupState state, CommitOptions commitOptions, MlsGroupOptions options)
    {
        var byValue = commitOptions.Proposals.Select(p => new CommittedProposal(p, Sender.Member(state.OwnLeaf), null)).ToList();
        if (!commitOptions.IncludePendingProposals || state.Proposals.Count == 0)
        {
            return byValue;
        }
        var removedByValue = byValue.Select(p => p.Proposal).OfType<Remove>().Select(r => r.Removed).ToHashSet();
        bool gceByValue = byValue.Any(p => p.Proposal is GroupContextExtensions);
        var cached = state.Proposals.Entries;

        var chosenRemoves = new Dictionary<LeafIndex, CachedProposal>();
        var chosenUpdates = new Dictionary<LeafIndex, CachedProposal>();
        CachedProposal? chosenGce = null;
        var pskIds = byValue.Select(p => p.Proposal).OfType<PreSharedKey>().Select(p => Convert.ToHexString(p.Psk.ToBytes())).ToHashSet();
        var addKeys = byValue.Select(p => p.Proposal).OfType<Add>().Select(a => Convert.ToHexString(a.KeyPackage.LeafNode.SignatureKey))
            .ToHashSet(StringComparer.Ordinal);
        var others = new List<CachedProposal>();
        foreach (var c in cached)
        {
            switch (c.Proposal)
            {
                case Remove r when r.Removed != state.OwnLeaf && !removedByValue.Contains(r.Removed) && state.Tree.GetLeaf(r.Removed) is not null:
                    chosenRemoves.TryAdd(r.Removed, c);
                    break;
                case Update when c.Sender.Type == SenderType.Member && c.Sender.LeafIndex != state.OwnLeaf:
                    chosenUpdates[c.Sender.LeafIndex] = c;
                    break;
                case GroupContextExtensions when !gceByValue:
                    chosenGce = c;
                    break;
                case Add add when IsAcceptable(state, add, options) && addKeys.Add(Convert.ToHexString(add.KeyPackage.LeafNode.SignatureKey)):
                    others.Add(c);
                    break;
                case PreSharedKey psk when pskIds.Add(Convert.ToHexString(psk.Psk.ToBytes())):
                    others.Add(c);
                    break;
                case ReInit:
                    others.Add(c);
                    break;
            }
        }
        foreach (var leaf in chosenRemoves.Keys.Concat(removedByValue))
        {
            chosenUpdates.Remove(leaf);
        }

        var chosen = new HashSet<CachedProposal>(chosenRemoves.Values.Concat(chosenUpdates.Values).Concat(others), ReferenceEqualityComparer.Instance);
        if (chosenGce is not null)
        {
            chosen.Add(chosenGce);
        }
        // A ReInit goes alone; prefer the other proposals and let the ReInit be sent again later.
        if (chosen.Count + byValue.Count > 1)
        {
            chosen.RemoveWhere(c => c.Proposal is ReInit);
        }
        var list = cached.Where(chosen.Contains).Select(c => new CommittedProposal(c.Proposal, c.Sender, c.Ref)).ToList();
        list.AddRange(byValue);
        return list;
    }

    private static bool IsAcceptable(GroupState state, Add add, MlsGroupOptions options)
    {
        try
        {
            LeafNodeValidation.ValidateKeyPackage(state.Suite, add.KeyPackage, state.Context.Extensions, options);
            return true;
        }
        catch (MlsProtocolException)
        {
            return false;
        }
    }
}
