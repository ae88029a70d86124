// RFC 9420 §12.4.3.2 (joining via external Commits) and §8.3 (external initialization).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>How a client joins a group by external Commit.</summary>
public sealed record ExternalJoinOptions
{
    /// <summary>The joiner's earlier leaf to remove (a "resync" Commit); it must hold the same credential.</summary>
    public LeafIndex? RemoveLeaf { get; init; }

    /// <summary>PSKs to inject (their secrets come from the options' PSK store).</summary>
    public IReadOnlyList<PreSharedKeyId> Psks { get; init; } = [];

    /// <summary>The joiner's capabilities; the default lists the group's suite and basic and X.509 credentials.</summary>
    public Capabilities? Capabilities { get; init; }

    /// <summary>Extensions of the joiner's leaf node.</summary>
    public IReadOnlyList<Extension> LeafExtensions { get; init; } = [];

    /// <summary>The Commit's authenticated_data.</summary>
    public byte[] AuthenticatedData { get; init; } = [];
}

/// <summary>Creates an external Commit from a GroupInfo and builds the joiner's state of the new epoch.</summary>
internal static class ExternalCommit
{
    public static (GroupState State, MlsMessage Commit) Join(GroupInfo groupInfo, IReadOnlyList<Node?>? ratchetTree, Credential credential,
        SignatureKeyPair signatureKeyPair, ExternalJoinOptions joinOptions, MlsGroupOptions options)
    {
        var context = groupInfo.GroupContext;
        var suite = CipherSuite.Get(context.CipherSuite);
        var tree = WelcomeJoin.LoadTree(suite, groupInfo, ratchetTree);
        WelcomeJoin.VerifyGroupInfo(groupInfo, tree, options);
        var externalPub = GroupExtensions.ExternalPub(groupInfo.Extensions)
            ?? throw new MlsProtocolException(MlsError.ExternalJoinNotAllowed, "The GroupInfo has no external_pub extension: the group does not accept external joins.");

        var template = new LeafNode([], signatureKeyPair.PublicKey, credential,
            joinOptions.Capabilities ?? KeyPackageBundle.DefaultCapabilities(suite), LeafNodeSource.Commit, null, [],
            joinOptions.LeafExtensions, []);
        LeafNodeValidation.CheckCapabilities(template, context.Extensions);
        if (!options.CredentialValidator.IsValid(credential, signatureKeyPair.PublicKey))
        {
            throw new MlsProtocolException(MlsError.CredentialRejected, "The joiner's own credential was rejected by the credential validator.");
        }

        byte[]? initSecret = null, commitSecret = null, pskSecret = null;
        PreparedUpdatePath? prepared = null;
        TreePrivateKeys? keys = null;
        EpochSecrets? secrets = null;
        try
        {
            var (kemOutput, hpke) = suite.Hpke.SetupBaseS(externalPub.PublicKey, ReadOnlySpan<byte>.Empty);
            using (hpke)
            {
                initSecret = hpke.Export(CommitProcessor.ExternalInitLabel, suite.HashLength);
            }

            var proposals = new List<Proposal> { new ExternalInit(kemOutput) };
            var next = tree.Clone();
            if (joinOptions.RemoveLeaf is { } old)
            {
                var oldLeaf = next.GetLeaf(old) ?? throw new MlsProtocolException(MlsError.ProposalForNonMember, $"{old} is not a member: nothing to resync.");
                if (!oldLeaf.Credential.Equals(credential))
                {
                    throw new MlsProtocolException(MlsError.ExternalCommitProposalsInvalid, "A resync may only remove a leaf holding the joiner's own credential.");
                }
                next.RemoveLeaf(old);
                proposals.Add(new Remove(old));
            }
            foreach (var psk in joinOptions.Psks)
            {
                ProposalList.CheckPsk(suite, psk);
                proposals.Add(new PreSharedKey(psk));
            }
            if (next.FindLeafBySignatureKey(signatureKeyPair.PublicKey) is not null)
            {
                throw new MlsProtocolException(MlsError.SignatureKeyNotUnique, "The joiner's signature key is already used by a member.");
            }
            pskSecret = PskResolution.ComputePskSecret(suite, joinOptions.Psks, null, options);

            var ownLeaf = next.ReserveLeaf();
            prepared = TreeKem.PrepareUpdatePath(next, ownLeaf, template, signatureKeyPair.PrivateKey, context.GroupId);
            var newTree = prepared.Tree;
            LeafNodeValidation.CheckCredentialTypes(newTree);
            var provisional = context with { Epoch = context.Epoch + 1, TreeHash = newTree.TreeHash() };
            var path = prepared.Encrypt(provisional.ToBytes());
            commitSecret = prepared.ExportCommitSecret();
            keys = prepared.TakePrivateKeys();

            var commit = new Commit(proposals.Select(p => new ProposalOrRef(p)).ToArray(), path);
            var framed = FramedContent.ForCommit(context.GroupId, context.Epoch, Sender.NewMemberCommit, joinOptions.AuthenticatedData, commit);
            var content = MessageProtection.Sign(suite, WireFormat.MlsPublicMessage, framed, signatureKeyPair.PrivateKey, context);

            byte[] interimBefore = TranscriptHash.Interim(suite, context.ConfirmedTranscriptHash, groupInfo.ConfirmationTag);
            byte[] confirmed = TranscriptHash.Confirmed(suite, interimBefore, content);
            var newContext = provisional with { ConfirmedTranscriptHash = confirmed };
            secrets = EpochKeySchedule.Advance(suite, initSecret, commitSecret, pskSecret, newContext);
            byte[] tag = secrets.ComputeConfirmationTag(confirmed);
            secrets.DeleteTransitionSecrets();
            content = content.WithConfirmationTag(tag);
            var message = new MlsMessage(MessageProtection.ProtectPublic(suite, content, context, ReadOnlySpan<byte>.Empty));

            byte[] interim = TranscriptHash.Interim(suite, confirmed, tag);
            var history = GroupState.ExtendHistory([], newContext.Epoch, secrets.ExportResumptionPsk(), options.ResumptionPskHistory);
            var state = new GroupState(suite, newContext, newTree, ownLeaf, keys, (byte[])signatureKeyPair.PrivateKey.Clone(), secrets,
                secrets.CreateSecretTree(newTree.LeafCount), interim, tag, new ProposalCache(), history);
            keys = null;
            secrets = null;
            return (state, message);
        }
        finally
        {
            prepared?.Dispose();
            keys?.Dispose();
            secrets?.Dispose();
            foreach (byte[]? s in new[] { initSecret, commitSecret, pskSecret })
            {
                if (s is not null)
                {
                    CryptographicOperations.ZeroMemory(s);
                }
            }
        }
    }
}
