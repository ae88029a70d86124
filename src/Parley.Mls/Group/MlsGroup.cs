// RFC 9420 §11 (group creation), §11.2-§11.3 (reinitialization and branching), §12 (group evolution),
// §12.4.3 (joining), §8.5 (exporters), §8.7 (epoch authenticators) and §6 (protecting and unprotecting
// messages): a member's group.
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Framing;
using Parley.Mls.KeySchedule;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Group;

/// <summary>One member's view of an MLS group at its current epoch: creates and processes proposals,
/// commits, Welcome messages and application messages. Every failure throws <see cref="MlsProtocolException"/>
/// or <see cref="MlsDecodeException"/> and leaves the group unchanged. Not thread-safe; dispose to
/// wipe its secrets.</summary>
public sealed class MlsGroup : IDisposable
{
    private GroupState _state;
    private PendingCommit? _pending;
    private readonly MlsGroupOptions _options;
    private readonly SentMessageLog _sent;
    private bool _disposed;

    private MlsGroup(GroupState state, PendingCommit? pending, MlsGroupOptions options, SentMessageLog? sent = null)
    {
        _state = state;
        _pending = pending;
        _options = options;
        _sent = sent ?? new SentMessageLog(state.Epoch);
    }

    // ---- Creating, joining, restoring ------------------------------------------------------

    /// <summary>Creates a one-member group at epoch 0 (RFC 9420 §11) whose creator holds
    /// <paramref name="credential"/> and <paramref name="signatureKeyPair"/>.</summary>
    public static MlsGroup Create(CipherSuite suite, byte[] groupId, Credential credential, SignatureKeyPair signatureKeyPair,
        IReadOnlyList<Extension>? extensions = null, MlsGroupOptions? options = null, Capabilities? capabilities = null,
        IReadOnlyList<Extension>? leafExtensions = null, Lifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(groupId);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(signatureKeyPair);
        options ??= MlsGroupOptions.Default;
        extensions ??= [];
        GroupExtensions.CheckWellFormed(extensions);

        var leafKeys = suite.Hpke.GenerateKeyPair();
        var leaf = new LeafNode(leafKeys.PublicKey, signatureKeyPair.PublicKey, credential, capabilities ?? KeyPackageBundle.DefaultCapabilities(suite),
            LeafNodeSource.KeyPackage, lifetime ?? new Lifetime(0, ulong.MaxValue), null, leafExtensions ?? [], []).Sign(suite, signatureKeyPair.PrivateKey);
        LeafNodeValidation.Validate(suite, leaf, LeafNodeSource.KeyPackage, extensions, options with { Now = null }, null, null, checkSignature: false);
        var tree = new RatchetTree(suite, leaf);
        var own = new LeafIndex(0);
        var keys = new TreePrivateKeys(own);
        keys.SetPrivateKey(own.Node, leafKeys.PrivateKey);
        CryptographicOperations.ZeroMemory(leafKeys.PrivateKey);

        var context = new GroupContext(suite.Id, (byte[])groupId.Clone(), 0, tree.TreeHash(), [], extensions);
        byte[] initSecret = EpochKeySchedule.NewInitSecret(suite);
        byte[] zero = EpochKeySchedule.ZeroSecret(suite);
        // RFC 9420 §11: a random epoch secret; here the key schedule runs from a random init_secret.
        var secrets = EpochKeySchedule.Advance(suite, initSecret, zero, zero, context);
        CryptographicOperations.ZeroMemory(initSecret);
        secrets.DeleteTransitionSecrets();
        byte[] tag = secrets.ComputeConfirmationTag(context.ConfirmedTranscriptHash);
        byte[] interim = TranscriptHash.Interim(suite, context.ConfirmedTranscriptHash, tag);
        var history = GroupState.ExtendHistory([], 0, secrets.ExportResumptionPsk(), options.ResumptionPskHistory);
        var state = new GroupState(suite, context, tree, own, keys, (byte[])signatureKeyPair.PrivateKey.Clone(), secrets,
            secrets.CreateSecretTree(tree.LeafCount), interim, tag, new ProposalCache(), history);
        return new MlsGroup(state, null, options);
    }

    /// <summary>Joins a group from a Welcome addressed to <paramref name="keyPackage"/> (RFC 9420 §12.4.3.1).
    /// When the Welcome's GroupInfo has no ratchet_tree extension, pass the tree in <paramref name="ratchetTree"/>.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.CipherSuiteUnsupported"/>,
    /// <see cref="MlsError.WelcomeNotForKeyPackage"/>, <see cref="MlsError.WelcomeUndecryptable"/>,
    /// <see cref="MlsError.HpkeDecryptionFailed"/>, <see cref="MlsError.PskNonceLength"/>,
    /// <see cref="MlsError.PskUnavailable"/>, <see cref="MlsError.PskUsageInvalid"/>,
    /// <see cref="MlsError.LinkedPskInvalid"/>, <see cref="MlsError.WelcomeLinkMismatch"/>,
    /// <see cref="MlsError.WelcomeNoOwnLeaf"/>, <see cref="MlsError.RatchetTreeMissing"/>,
    /// <see cref="MlsError.TreeHashMismatch"/>, <see cref="MlsError.TreeEmpty"/>,
    /// <see cref="MlsError.UnmergedLeavesInvalid"/>, <see cref="MlsError.ParentHashInvalid"/>,
    /// <see cref="MlsError.EncryptionKeyNotUnique"/>, <see cref="MlsError.SignatureKeyNotUnique"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.CredentialRejected"/>, <see cref="MlsError.LeafNodeSignatureInvalid"/>,
    /// <see cref="MlsError.LeafNodeLifetimeExpired"/>, <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.GroupInfoSignatureInvalid"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/>, <see cref="MlsError.GroupInfoConfirmationTagInvalid"/>,
    /// <see cref="MlsError.WelcomePathSecretInvalid"/>, <see cref="MlsError.PathSecretKeyMismatch"/> (a Welcome into a
    /// reinitialized or branched group is joined through the old group instead).</exception>
    public static MlsGroup JoinFromWelcome(Welcome welcome, KeyPackageBundle keyPackage, IReadOnlyList<Node?>? ratchetTree = null,
        MlsGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(welcome);
        ArgumentNullException.ThrowIfNull(keyPackage);
        options ??= MlsGroupOptions.Default;
        return new MlsGroup(Guarded(() => WelcomeJoin.Join(welcome, keyPackage, ratchetTree, options)), null, options);
    }

    /// <summary>Joins a group from an MLSMessage carrying a Welcome.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.NotAWelcome"/>,
    /// <see cref="MlsError.CipherSuiteUnsupported"/>, <see cref="MlsError.WelcomeNotForKeyPackage"/>,
    /// <see cref="MlsError.WelcomeUndecryptable"/>, <see cref="MlsError.HpkeDecryptionFailed"/>,
    /// <see cref="MlsError.PskNonceLength"/>, <see cref="MlsError.PskUnavailable"/>,
    /// <see cref="MlsError.PskUsageInvalid"/>, <see cref="MlsError.LinkedPskInvalid"/>,
    /// <see cref="MlsError.WelcomeLinkMismatch"/>, <see cref="MlsError.WelcomeNoOwnLeaf"/>,
    /// <see cref="MlsError.RatchetTreeMissing"/>, <see cref="MlsError.TreeHashMismatch"/>,
    /// <see cref="MlsError.TreeEmpty"/>, <see cref="MlsError.UnmergedLeavesInvalid"/>,
    /// <see cref="MlsError.ParentHashInvalid"/>, <see cref="MlsError.EncryptionKeyNotUnique"/>,
    /// <see cref="MlsError.SignatureKeyNotUnique"/>, <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.GroupInfoSignatureInvalid"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/>, <see cref="MlsError.GroupInfoConfirmationTagInvalid"/>,
    /// <see cref="MlsError.WelcomePathSecretInvalid"/>, <see cref="MlsError.PathSecretKeyMismatch"/></exception>
    public static MlsGroup JoinFromWelcome(MlsMessage welcome, KeyPackageBundle keyPackage, IReadOnlyList<Node?>? ratchetTree = null,
        MlsGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(welcome);
        return JoinFromWelcome(welcome.Welcome ?? throw new MlsProtocolException(MlsError.NotAWelcome, "The message is not a Welcome."), keyPackage, ratchetTree, options);
    }

    /// <summary>Joins a group by external Commit (RFC 9420 §12.4.3.2) from its GroupInfo, which must carry
    /// external_pub. Returns the group, already at the new epoch, and the Commit to send; if the delivery
    /// service rejects the Commit, discard the group.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.ExternalJoinNotAllowed"/>,
    /// <see cref="MlsError.CipherSuiteUnsupported"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.ProposalForNonMember"/>, <see cref="MlsError.ExternalCommitProposalsInvalid"/>,
    /// <see cref="MlsError.HpkePublicKeyInvalid"/>, <see cref="MlsError.PskUnavailable"/>,
    /// <see cref="MlsError.TreeTooLarge"/>, <see cref="MlsError.RatchetTreeMissing"/>,
    /// <see cref="MlsError.TreeHashMismatch"/>, <see cref="MlsError.TreeEmpty"/>,
    /// <see cref="MlsError.UnmergedLeavesInvalid"/>, <see cref="MlsError.ParentHashInvalid"/>,
    /// <see cref="MlsError.EncryptionKeyNotUnique"/>, <see cref="MlsError.SignatureKeyNotUnique"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.GroupInfoSignatureInvalid"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/></exception>
    public static (MlsGroup Group, MlsMessage Commit) JoinByExternalCommit(GroupInfo groupInfo, Credential credential,
        SignatureKeyPair signatureKeyPair, IReadOnlyList<Node?>? ratchetTree = null, ExternalJoinOptions? joinOptions = null,
        MlsGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(groupInfo);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(signatureKeyPair);
        options ??= MlsGroupOptions.Default;
        var (state, commit) = Guarded(() => ExternalCommit.Join(groupInfo, ratchetTree, credential, signatureKeyPair,
            joinOptions ?? new ExternalJoinOptions(), options));
        return (new MlsGroup(state, null, options), commit);
    }

    /// <summary>Restores a group saved with <see cref="Serialize"/>; pass the same options as before.</summary>
    public static MlsGroup Restore(ReadOnlyMemory<byte> serialized, MlsGroupOptions? options = null)
    {
        var (state, pending, sent) = GroupStateCodec.Decode(serialized);
        return new MlsGroup(state, pending, options ?? MlsGroupOptions.Default, sent);
    }

    /// <summary>Saves the whole state (tree, private keys, epoch secrets, ratchets, transcript hashes,
    /// cached proposals, resumption PSKs, pending Commit, fingerprints of recently sent messages). The bytes
    /// are secret: store them encrypted.</summary>
    public byte[] Serialize()
    {
        ThrowIfDisposed();
        return GroupStateCodec.Encode(_state, _pending, _sent);
    }

    // ---- The group as it stands -------------------------------------------------------------

    /// <summary>The group's cipher suite.</summary>
    public CipherSuite Suite => State.Suite;

    /// <summary>A copy of the group id.</summary>
    public byte[] GroupId => (byte[])State.GroupId.Clone();

    /// <summary>The current epoch (0 at creation, one more per Commit).</summary>
    public ulong Epoch => State.Epoch;

    /// <summary>The GroupContext of the current epoch.</summary>
    public GroupContext Context => State.Context;

    /// <summary>This member's leaf.</summary>
    public LeafIndex OwnLeafIndex => State.OwnLeaf;

    /// <summary>False once this member was removed or the group was closed by a ReInit.</summary>
    public bool IsActive => State.Active;

    /// <summary>Marks this copy of the group inactive without a commit, as if this member had been removed: it then
    /// neither sends nor processes messages. For a local placeholder of a group the member has to rejoin (a restored
    /// conversation); nothing about it is sent anywhere.</summary>
    public void Deactivate()
    {
        _pending?.Dispose();
        _pending = null;
        State.Active = false;
    }

    /// <summary>The ReInit that closed the group, if one was committed.</summary>
    public ReInit? ReInit => State.ReInit;

    /// <summary>Whether a Commit this member created awaits <see cref="MergePendingCommit"/>.</summary>
    public bool HasPendingCommit => _pending is not null;

    /// <summary>The proposals received or sent during this epoch that a Commit may reference.</summary>
    public IReadOnlyList<CachedProposal> PendingProposals => State.Proposals.Entries.ToArray();

    /// <summary>The members by leaf index.</summary>
    public IReadOnlyList<GroupMember> Members
        => State.Tree.EnumerateLeaves().Select(l => new GroupMember(l.Index, l.Leaf.Credential, l.Leaf.SignatureKey)).ToArray();

    /// <summary>The member at <paramref name="leaf"/>, or null when the leaf is blank.</summary>
    public GroupMember? MemberAt(LeafIndex leaf)
        => State.Tree.GetLeaf(leaf) is { } l ? new GroupMember(leaf, l.Credential, l.SignatureKey) : null;

    /// <summary>A copy of the current epoch's epoch_authenticator (RFC 9420 §8.7).</summary>
    public byte[] EpochAuthenticator => State.Secrets.ExportEpochAuthenticator();

    /// <summary>MLS-Exporter(label, context, length) of the current epoch (RFC 9420 §8.5).</summary>
    public byte[] Export(string label, ReadOnlySpan<byte> context, int length) => State.Secrets.Export(label, context, length);

    /// <summary>MLS-Exporter(label, context, length) of the epoch this member's pending Commit starts (RFC 9420 §8.5), so what
    /// the new epoch needs can be announced with the Commit. Throws when no Commit is pending.</summary>
    public byte[] ExportPending(string label, ReadOnlySpan<byte> context, int length)
        => (_pending ?? throw new InvalidOperationException("No Commit is pending.")).State.Secrets.Export(label, context, length);

    /// <summary>The public ratchet tree as the ratchet_tree extension lists it.</summary>
    public IReadOnlyList<Node?> ExportRatchetTree() => State.Tree.ToNodeList();

    /// <summary>A signed GroupInfo of the current epoch, for external joiners (with external_pub) or to publish.</summary>
    public GroupInfo CreateGroupInfo(bool includeRatchetTree = true, bool includeExternalPub = true)
    {
        var s = State;
        return CommitBuilder.SignGroupInfo(s.Suite, s.Context, s.Tree, s.Secrets, s.ConfirmationTag, s.OwnLeaf, s.SignaturePrivateKey,
            includeRatchetTree, includeExternalPub);
    }

    // ---- Proposals ---------------------------------------------------------------------------

    /// <summary>Sends <paramref name="proposal"/> to the group (RFC 9420 §12.1) and caches it for a later
    /// Commit. Use <see cref="ProposeUpdate"/> for Updates.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.GroupInactive"/>,
    /// <see cref="MlsError.UpdateInvalid"/>, <see cref="MlsError.ProposalForNonMember"/>,
    /// <see cref="MlsError.PskNonceLength"/>, <see cref="MlsError.PskUsageInvalid"/>,
    /// <see cref="MlsError.ReInitLowersVersion"/>, <see cref="MlsError.ProposalListInvalid"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/>, <see cref="MlsError.KeyPackageVersionOrSuite"/>,
    /// <see cref="MlsError.KeyPackageSignatureInvalid"/>, <see cref="MlsError.KeyPackageInitKeyInvalid"/>,
    /// <see cref="MlsError.KeyPackageExtensionUnsupported"/>, <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/></exception>
    public MlsMessage Propose(Proposal proposal, byte[]? authenticatedData = null)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        if (proposal is Update)
        {
            throw new ArgumentException("Create Update proposals with ProposeUpdate, which keeps the new private key.", nameof(proposal));
        }
        if (proposal is ExternalInit)
        {
            throw new ArgumentException("An ExternalInit proposal only appears in an external Commit.", nameof(proposal));
        }
        return SendProposal(proposal, authenticatedData, null);
    }

    /// <summary>Proposes adding the client of <paramref name="keyPackage"/>.</summary>
    public MlsMessage ProposeAdd(KeyPackage keyPackage, byte[]? authenticatedData = null) => Propose(new Add(keyPackage), authenticatedData);

    /// <summary>Proposes removing the member at <paramref name="leaf"/>.</summary>
    public MlsMessage ProposeRemove(LeafIndex leaf, byte[]? authenticatedData = null) => Propose(new Remove(leaf), authenticatedData);

    /// <summary>Proposes injecting the external PSK <paramref name="pskId"/> (with a fresh nonce).</summary>
    public MlsMessage ProposeExternalPsk(byte[] pskId, byte[]? authenticatedData = null)
        => Propose(CreateExternalPskProposal(pskId), authenticatedData);

    /// <summary>Proposes injecting this group's resumption PSK of <paramref name="epoch"/>.</summary>
    public MlsMessage ProposeResumptionPsk(ulong epoch, byte[]? authenticatedData = null)
        => Propose(CreateResumptionPskProposal(epoch), authenticatedData);

    /// <summary>Proposes replacing the group context extensions with <paramref name="extensions"/>.</summary>
    public MlsMessage ProposeGroupContextExtensions(IReadOnlyList<Extension> extensions, byte[]? authenticatedData = null)
        => Propose(new GroupContextExtensions(extensions), authenticatedData);

    /// <summary>Proposes an Update of this member's leaf with a fresh encryption key (RFC 9420 §12.1.2).</summary>
    public MlsMessage ProposeUpdate(byte[]? authenticatedData = null)
    {
        var s = State;
        var pair = s.Suite.Hpke.GenerateKeyPair();
        var leaf = (s.OwnLeafNode with
        {
            EncryptionKey = pair.PublicKey,
            Source = LeafNodeSource.Update,
            Lifetime = null,
            ParentHash = null,
            Signature = [],
        }).Sign(s.Suite, s.SignaturePrivateKey, s.GroupId, s.OwnLeaf);
        return SendProposal(new Update(leaf), authenticatedData, pair.PrivateKey);
    }

    /// <summary>A PreSharedKey proposal for an external PSK, with a fresh nonce, to commit by value.</summary>
    public PreSharedKey CreateExternalPskProposal(byte[] pskId)
    {
        ArgumentNullException.ThrowIfNull(pskId);
        return new PreSharedKey(PreSharedKeyId.External((byte[])pskId.Clone(), RandomNumberGenerator.GetBytes(State.Suite.HashLength)));
    }

    /// <summary>A PreSharedKey proposal for this group's resumption PSK of <paramref name="epoch"/>, to commit by value.</summary>
    public PreSharedKey CreateResumptionPskProposal(ulong epoch)
        => new(PreSharedKeyId.Resumption(ResumptionPskUsage.Application, GroupId, epoch, RandomNumberGenerator.GetBytes(State.Suite.HashLength)));

    private MlsMessage SendProposal(Proposal proposal, byte[]? authenticatedData, byte[]? updatePrivateKey)
    {
        var s = ActiveState;
        try
        {
            var content = GroupFraming.SignProposal(s, proposal, authenticatedData ?? [], _options);
            byte[] reference = content.MakeProposalRef(s.Suite);
            var message = GroupFraming.Protect(s, content, _options);
            s.Proposals.Add(new CachedProposal(reference, proposal, Sender.Member(s.OwnLeaf)), updatePrivateKey);
            updatePrivateKey = null;
            _sent.Record(s.Epoch, message.ToBytes());
            return message;
        }
        finally
        {
            if (updatePrivateKey is not null)
            {
                CryptographicOperations.ZeroMemory(updatePrivateKey);
            }
        }
    }

    /// <summary>Creates a proposal from an external sender listed at <paramref name="senderIndex"/> in the group's
    /// external_senders extension (RFC 9420 §12.1.8), as a PublicMessage.</summary>
    public static MlsMessage CreateExternalProposal(CipherSuite suite, byte[] groupId, ulong epoch, uint senderIndex, Proposal proposal,
        ReadOnlySpan<byte> signaturePrivateKey, byte[]? authenticatedData = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(proposal);
        if (proposal.Type is not (ProposalType.Add or ProposalType.Remove or ProposalType.Psk or ProposalType.ReInit or ProposalType.GroupContextExtensions))
        {
            throw new ArgumentException($"An external sender cannot send a proposal of type {proposal.Type}.", nameof(proposal));
        }
        var framed = FramedContent.ForProposal(groupId, epoch, Sender.External(senderIndex), authenticatedData ?? [], proposal);
        var content = MessageProtection.Sign(suite, WireFormat.MlsPublicMessage, framed, signaturePrivateKey, null);
        return new MlsMessage(PublicMessage.Create(content));
    }

    /// <summary>Creates a client's request to be added (an Add from a new_member_proposal sender), as a PublicMessage.</summary>
    public static MlsMessage CreateJoinProposal(KeyPackageBundle keyPackage, byte[] groupId, ulong epoch, byte[]? authenticatedData = null)
    {
        ArgumentNullException.ThrowIfNull(keyPackage);
        var framed = FramedContent.ForProposal(groupId, epoch, Sender.NewMemberProposal, authenticatedData ?? [], new Add(keyPackage.KeyPackage));
        var content = MessageProtection.Sign(keyPackage.Suite, WireFormat.MlsPublicMessage, framed, keyPackage.SignaturePrivateKey, null);
        return new MlsMessage(PublicMessage.Create(content));
    }

    // ---- Commits -----------------------------------------------------------------------------

    /// <summary>Creates a Commit (RFC 9420 §12.4) over the epoch's proposals and those in
    /// <paramref name="commitOptions"/>, with a Welcome for added members. The group stays in the current
    /// epoch until <see cref="MergePendingCommit"/>; a previous pending Commit is discarded.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.GroupInactive"/>,
    /// <see cref="MlsError.ProposalListInvalid"/>,
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
    /// <see cref="MlsError.HpkePublicKeyInvalid"/> (for proposals given in the options; invalid cached Adds are left
    /// out instead).</exception>
    public CommitResult Commit(CommitOptions? commitOptions = null)
    {
        var s = ActiveState;
        var (result, pending) = CommitBuilder.Create(s, _options, commitOptions ?? new CommitOptions());
        DiscardPendingCommit();
        _pending = pending;
        _sent.Record(s.Epoch, pending.MessageBytes);
        return result;
    }

    /// <summary>Moves the group to the epoch of its pending Commit, once the delivery service accepted it.</summary>
    public CommitMessage MergePendingCommit()
    {
        ThrowIfDisposed();
        var pending = _pending ?? throw new InvalidOperationException("There is no pending Commit to merge.");
        _pending = null;
        Advance(pending.State);
        return pending.Summary;
    }

    /// <summary>Deletes the keys of the previous epoch (RFC 9420 §9.2), after which its late application
    /// messages no longer decrypt.</summary>
    public void ForgetPreviousEpoch()
    {
        var s = State;
        s.Previous?.Dispose();
        s.Previous = null;
    }

    // Swaps in the next epoch's state, keeping the current epoch's keys for late application messages.
    private void Advance(GroupState next)
    {
        var old = _state;
        if (_options.RetainPreviousEpoch)
        {
            next.Previous?.Dispose();
            next.Previous = old.HandOverAsPastEpoch();
        }
        _state = next;
        old.Dispose();
        _sent.MoveTo(next.Epoch);
    }

    /// <summary>Forgets the pending Commit (the delivery service rejected it, or another Commit won).</summary>
    public void DiscardPendingCommit()
    {
        ThrowIfDisposed();
        if (_pending is not null)
        {
            // An echo of a discarded Commit is an error to report, not an accepted message of this member.
            _sent.Forget(_pending.MessageBytes);
            _pending.Dispose();
            _pending = null;
        }
    }

    // ---- Reinitialization and branching --------------------------------------------------------

    /// <summary>Proposes reinitializing the group (RFC 9420 §12.1.5) as <paramref name="newGroupId"/> with
    /// <paramref name="cipherSuite"/>, MLS 1.0 and the group context <paramref name="extensions"/>.</summary>
    public MlsMessage ProposeReInit(byte[] newGroupId, ushort cipherSuite, IReadOnlyList<Extension>? extensions = null,
        byte[]? authenticatedData = null)
    {
        ArgumentNullException.ThrowIfNull(newGroupId);
        return Propose(new ReInit((byte[])newGroupId.Clone(), ProtocolVersion.Mls10, cipherSuite, extensions ?? []), authenticatedData);
    }

    /// <summary>Once a ReInit was committed (<see cref="ReInit"/> is set), creates the group it asks for
    /// (RFC 9420 §11.2): this member alone at epoch 0, then a Commit adding the other members'
    /// <paramref name="keyPackages"/> (one per member, for the new cipher suite) with a resumption PSK of
    /// usage reinit from this group's last epoch. Returns the new group, already at epoch 1, and the Welcome
    /// for the others (null when this member was alone); that Commit goes to nobody. This group is unchanged.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.NoReInit"/>,
    /// <see cref="MlsError.ReInitUnsupported"/>, <see cref="MlsError.LinkedMembersMismatch"/>,
    /// <see cref="MlsError.KeyPackageVersionOrSuite"/>, <see cref="MlsError.KeyPackageSignatureInvalid"/>,
    /// <see cref="MlsError.KeyPackageInitKeyInvalid"/>, <see cref="MlsError.KeyPackageExtensionUnsupported"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.CredentialRejected"/>, <see cref="MlsError.LeafNodeSignatureInvalid"/>,
    /// <see cref="MlsError.LeafNodeLifetimeExpired"/>, <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.HpkePublicKeyInvalid"/>,
    /// <see cref="MlsError.TreeTooLarge"/></exception>
    public (MlsGroup Group, MlsMessage? Welcome) CreateReInitGroup(IReadOnlyList<KeyPackage> keyPackages, LinkedGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(keyPackages);
        var s = State;
        var reInit = s.ReInit ?? throw new MlsProtocolException(MlsError.NoReInit, "No ReInit was committed in this group: there is nothing to reinitialize.");
        if (reInit.Version != ProtocolVersion.Mls10)
        {
            throw new MlsProtocolException(MlsError.ReInitUnsupported, $"The ReInit asks for protocol version {reInit.Version}, which Parley does not implement.");
        }
        if (!CipherSuite.TryGet(reInit.CipherSuite, out var suite))
        {
            throw new MlsProtocolException(MlsError.ReInitUnsupported, $"The ReInit asks for cipher suite {reInit.CipherSuite}, which Parley does not implement.");
        }
        options ??= new LinkedGroupOptions();
        var validator = (options.GroupOptions ?? _options).CredentialValidator;
        // RFC 9420 §12.4.2: the new group has "the same members as the original group".
        var others = s.Tree.EnumerateLeaves().Where(l => l.Index != s.OwnLeaf).ToList();
        foreach (var keyPackage in keyPackages)
        {
            ArgumentNullException.ThrowIfNull(keyPackage);
            if (!others.Any(o => validator.IsSameClient(o.Leaf.Credential, keyPackage.LeafNode.Credential)))
            {
                throw new MlsProtocolException(MlsError.LinkedMembersMismatch, "A key package is not from a member of the group being reinitialized.");
            }
        }
        foreach (var (index, leaf) in others)
        {
            if (!keyPackages.Any(kp => validator.IsSameClient(leaf.Credential, kp.LeafNode.Credential)))
            {
                throw new MlsProtocolException(MlsError.LinkedMembersMismatch, $"No key package was given for the member at {index}: a reinitialized group keeps every member.");
            }
        }
        return CreateLinked(ResumptionPskUsage.ReInit, suite, reInit.GroupId, reInit.Extensions, keyPackages, options);
    }

    /// <summary>Branches a subgroup off this group (RFC 9420 §11.3): a new group <paramref name="newGroupId"/> of
    /// the same cipher suite with group context <paramref name="extensions"/>, holding this member and the
    /// clients of <paramref name="keyPackages"/> (fresh key packages of members of this group), linked by a
    /// resumption PSK of usage branch from the current epoch. Returns the new group, already at epoch 1, and
    /// the Welcome (null without key packages); this group is unchanged.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.GroupInactive"/>,
    /// <see cref="MlsError.LinkedMembersMismatch"/>, <see cref="MlsError.KeyPackageVersionOrSuite"/>,
    /// <see cref="MlsError.KeyPackageSignatureInvalid"/>, <see cref="MlsError.KeyPackageInitKeyInvalid"/>,
    /// <see cref="MlsError.KeyPackageExtensionUnsupported"/>, <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.HpkePublicKeyInvalid"/>,
    /// <see cref="MlsError.TreeTooLarge"/></exception>
    public (MlsGroup Group, MlsMessage? Welcome) CreateBranch(byte[] newGroupId, IReadOnlyList<KeyPackage> keyPackages,
        IReadOnlyList<Extension>? extensions = null, LinkedGroupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(newGroupId);
        ArgumentNullException.ThrowIfNull(keyPackages);
        var s = ActiveState;
        options ??= new LinkedGroupOptions();
        var validator = (options.GroupOptions ?? _options).CredentialValidator;
        foreach (var keyPackage in keyPackages)
        {
            ArgumentNullException.ThrowIfNull(keyPackage);
            if (!s.Tree.EnumerateLeaves().Any(l => validator.IsSameClient(l.Leaf.Credential, keyPackage.LeafNode.Credential)))
            {
                throw new MlsProtocolException(MlsError.LinkedMembersMismatch, "A key package is not from a member of this group: a branch holds only its members.");
            }
        }
        return CreateLinked(ResumptionPskUsage.Branch, s.Suite, (byte[])newGroupId.Clone(), extensions ?? [], keyPackages, options);
    }

    /// <summary>Joins the group this group was reinitialized into (RFC 9420 §11.2) from its Welcome, addressed
    /// to <paramref name="keyPackage"/> (of the new cipher suite). Checks, as RFC 9420 §12.4.3.1 requires, that
    /// the Welcome's only PSK is this group's reinit PSK of the epoch the ReInit Commit started, that the new
    /// group has epoch 1 and the ReInit's group id, version, cipher suite and extensions, and that it keeps
    /// every member of this group. <paramref name="options"/> default to this group's.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.NoReInit"/>,
    /// <see cref="MlsError.NotAWelcome"/>, <see cref="MlsError.LinkedCreatorMismatch"/>,
    /// <see cref="MlsError.LinkedMembersMismatch"/>, <see cref="MlsError.LinkedParametersMismatch"/>,
    /// <see cref="MlsError.CipherSuiteUnsupported"/>, <see cref="MlsError.WelcomeNotForKeyPackage"/>,
    /// <see cref="MlsError.WelcomeUndecryptable"/>, <see cref="MlsError.HpkeDecryptionFailed"/>,
    /// <see cref="MlsError.PskNonceLength"/>, <see cref="MlsError.PskUnavailable"/>,
    /// <see cref="MlsError.PskUsageInvalid"/>, <see cref="MlsError.LinkedPskInvalid"/>,
    /// <see cref="MlsError.WelcomeLinkMismatch"/>, <see cref="MlsError.WelcomeNoOwnLeaf"/>,
    /// <see cref="MlsError.RatchetTreeMissing"/>, <see cref="MlsError.TreeHashMismatch"/>,
    /// <see cref="MlsError.TreeEmpty"/>, <see cref="MlsError.UnmergedLeavesInvalid"/>,
    /// <see cref="MlsError.ParentHashInvalid"/>, <see cref="MlsError.EncryptionKeyNotUnique"/>,
    /// <see cref="MlsError.SignatureKeyNotUnique"/>, <see cref="MlsError.LeafNodeSourceWrong"/>,
    /// <see cref="MlsError.LeafNodeKeyInvalid"/>, <see cref="MlsError.CredentialRejected"/>,
    /// <see cref="MlsError.LeafNodeSignatureInvalid"/>, <see cref="MlsError.LeafNodeLifetimeExpired"/>,
    /// <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.GroupInfoSignatureInvalid"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/>, <see cref="MlsError.GroupInfoConfirmationTagInvalid"/>,
    /// <see cref="MlsError.WelcomePathSecretInvalid"/>, <see cref="MlsError.PathSecretKeyMismatch"/></exception>
    public MlsGroup JoinReInitGroup(MlsMessage welcome, KeyPackageBundle keyPackage, IReadOnlyList<Node?>? ratchetTree = null,
        MlsGroupOptions? options = null)
    {
        if (State.ReInit is null)
        {
            throw new MlsProtocolException(MlsError.NoReInit, "No ReInit was committed in this group: there is no reinitialized group to join.");
        }
        return JoinLinked(ResumptionPskUsage.ReInit, welcome, keyPackage, ratchetTree, options);
    }

    /// <summary>Joins a subgroup branched off this group (RFC 9420 §11.3) from its Welcome, addressed to
    /// <paramref name="keyPackage"/>. Checks that the Welcome's only PSK is this group's branch PSK of the
    /// current (or previous) epoch, that the new group has epoch 1 and this group's version and cipher suite,
    /// and that each of its members is a member here. <paramref name="options"/> default to this group's.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.NotAWelcome"/>,
    /// <see cref="MlsError.LinkedCreatorMismatch"/>, <see cref="MlsError.LinkedMembersMismatch"/>,
    /// <see cref="MlsError.LinkedParametersMismatch"/>, <see cref="MlsError.CipherSuiteUnsupported"/>,
    /// <see cref="MlsError.WelcomeNotForKeyPackage"/>, <see cref="MlsError.WelcomeUndecryptable"/>,
    /// <see cref="MlsError.HpkeDecryptionFailed"/>, <see cref="MlsError.PskNonceLength"/>,
    /// <see cref="MlsError.PskUnavailable"/>, <see cref="MlsError.PskUsageInvalid"/>,
    /// <see cref="MlsError.LinkedPskInvalid"/>, <see cref="MlsError.WelcomeLinkMismatch"/>,
    /// <see cref="MlsError.WelcomeNoOwnLeaf"/>, <see cref="MlsError.RatchetTreeMissing"/>,
    /// <see cref="MlsError.TreeHashMismatch"/>, <see cref="MlsError.TreeEmpty"/>,
    /// <see cref="MlsError.UnmergedLeavesInvalid"/>, <see cref="MlsError.ParentHashInvalid"/>,
    /// <see cref="MlsError.EncryptionKeyNotUnique"/>, <see cref="MlsError.SignatureKeyNotUnique"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.CredentialRejected"/>, <see cref="MlsError.LeafNodeSignatureInvalid"/>,
    /// <see cref="MlsError.LeafNodeLifetimeExpired"/>, <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.GroupInfoSignatureInvalid"/>,
    /// <see cref="MlsError.GroupContextExtensionInvalid"/>, <see cref="MlsError.GroupInfoConfirmationTagInvalid"/>,
    /// <see cref="MlsError.WelcomePathSecretInvalid"/>, <see cref="MlsError.PathSecretKeyMismatch"/></exception>
    public MlsGroup JoinBranch(MlsMessage welcome, KeyPackageBundle keyPackage, IReadOnlyList<Node?>? ratchetTree = null,
        MlsGroupOptions? options = null)
        => JoinLinked(ResumptionPskUsage.Branch, welcome, keyPackage, ratchetTree, options);

    private MlsGroup JoinLinked(ResumptionPskUsage usage, MlsMessage welcome, KeyPackageBundle keyPackage, IReadOnlyList<Node?>? ratchetTree,
        MlsGroupOptions? options)
    {
        ArgumentNullException.ThrowIfNull(welcome);
        ArgumentNullException.ThrowIfNull(keyPackage);
        var w = welcome.Welcome ?? throw new MlsProtocolException(MlsError.NotAWelcome, "The message is not a Welcome.");
        var s = State;
        options ??= _options;
        return new MlsGroup(Guarded(() => WelcomeJoin.Join(w, keyPackage, ratchetTree, options, new ResumptionLink(usage, s))), null, options);
    }

    // RFC 9420 §11.2, §11.3: a new group of this member alone, then its first Commit: Adds for the key
    // packages and the resumption PSK of this group's current epoch with the given usage.
    private (MlsGroup Group, MlsMessage? Welcome) CreateLinked(ResumptionPskUsage usage, CipherSuite suite, byte[] groupId,
        IReadOnlyList<Extension> extensions, IReadOnlyList<KeyPackage> keyPackages, LinkedGroupOptions linkOptions)
    {
        var s = State;
        var own = s.OwnLeafNode;
        var groupOptions = linkOptions.GroupOptions ?? _options;
        var credential = linkOptions.Credential ?? own.Credential;
        if (!groupOptions.CredentialValidator.IsSameClient(own.Credential, credential))
        {
            throw new MlsProtocolException(MlsError.LinkedCreatorMismatch, "The creator's credential in the new group does not identify the same client as in this group.");
        }
        var keys = linkOptions.SignatureKeyPair;
        byte[]? ownKeyCopy = null;
        if (keys is null)
        {
            if (suite.Id != s.Suite.Id)
            {
                throw new ArgumentException("A group of another cipher suite needs a signature key pair of that suite (LinkedGroupOptions.SignatureKeyPair).",
                    nameof(linkOptions));
            }
            ownKeyCopy = (byte[])s.SignaturePrivateKey.Clone();
            keys = new SignatureKeyPair(ownKeyCopy, (byte[])own.SignatureKey.Clone());
        }
        try
        {
            var group = Create(suite, groupId, credential, keys, extensions, groupOptions, linkOptions.Capabilities, linkOptions.LeafExtensions,
                linkOptions.Lifetime);
            try
            {
                var psk = PreSharedKeyId.Resumption(usage, (byte[])s.GroupId.Clone(), s.Epoch, RandomNumberGenerator.GetBytes(suite.HashLength));
                var proposals = new List<Proposal>(keyPackages.Count + 1);
                proposals.AddRange(keyPackages.Select(kp => new Add(kp)));
                proposals.Add(new PreSharedKey(psk));
                var commitOptions = new CommitOptions
                {
                    Proposals = proposals,
                    IncludePendingProposals = false,
                    ForcePath = linkOptions.ForcePath,
                    RatchetTreeInWelcome = linkOptions.RatchetTreeInWelcome,
                };
                var (result, pending) = Guarded(() => CommitBuilder.Create(group._state, groupOptions, commitOptions, new ResumptionLink(usage, s, psk)));
                // Nobody else is in epoch 0: the Commit is not sent, and the new group moves to epoch 1 at once.
                var epochZero = group._state;
                group._state = pending.State;
                epochZero.Dispose();
                group._sent.MoveTo(pending.State.Epoch);
                return (group, result.Welcome);
            }
            catch
            {
                group.Dispose();
                throw;
            }
        }
        finally
        {
            if (ownKeyCopy is not null)
            {
                CryptographicOperations.ZeroMemory(ownKeyCopy);
            }
        }
    }

    // ---- Messages ----------------------------------------------------------------------------

    /// <summary>Encrypts application data as a PrivateMessage of the current epoch.</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.GroupInactive"/>,
    /// <see cref="MlsError.RatchetExhausted"/></exception>
    public MlsMessage EncryptApplicationMessage(ReadOnlySpan<byte> plaintext, byte[]? authenticatedData = null)
    {
        var s = ActiveState;
        var framed = FramedContent.ForApplication(s.GroupId, s.Epoch, Sender.Member(s.OwnLeaf), authenticatedData ?? [], plaintext.ToArray());
        try
        {
            var content = GroupFraming.Sign(s, WireFormat.MlsPrivateMessage, framed);
            var message = new MlsMessage(MessageProtection.ProtectPrivate(s.Suite, content, s.SecretTree, s.Secrets.SenderDataSecret, _options.Padding));
            // Only its fingerprint is kept: encoded into a pooled buffer (ciphertext, nothing to wipe) and dropped.
            var encoded = TlsWriter.Pooled(message.EncodedLengthHint);
            try
            {
                message.Encode(encoded);
                _sent.Record(s.Epoch, encoded.WrittenSpan);
            }
            finally
            {
                encoded.Release(wipe: false);
            }
            return message;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(framed.ApplicationData);
        }
    }

    /// <summary>Decodes and processes an MLSMessage.</summary>
    /// <exception cref="MlsProtocolException">As <see cref="ProcessMessage(MlsMessage)"/>.</exception>
    public ProcessedMessage ProcessMessage(ReadOnlyMemory<byte> message)
    {
        var decoded = MlsMessage.Decode(message);
        ThrowIfDisposed();
        return Guarded(() => Process(decoded, message));
    }

    /// <summary>Processes a PublicMessage or PrivateMessage of the current epoch: returns application data,
    /// caches a proposal, or applies a Commit (moving to the next epoch). This member's own pending Commit,
    /// echoed by the delivery service, is merged; its other own messages of the current or previous epoch,
    /// echoed, come back as <see cref="OwnMessage"/> without being processed again (a PrivateMessage's key
    /// was used up when sending).</summary>
    /// <exception cref="MlsProtocolException">Code <see cref="MlsError.GroupInactive"/>,
    /// <see cref="MlsError.MessageInvalid"/>, <see cref="MlsError.WrongGroup"/>, <see cref="MlsError.WrongEpoch"/>,
    /// <see cref="MlsError.SenderNotMember"/>, <see cref="MlsError.SenderNotAllowed"/>,
    /// <see cref="MlsError.ExternalSenderUnknown"/>, <see cref="MlsError.SignatureInvalid"/>,
    /// <see cref="MlsError.PublicApplicationData"/>, <see cref="MlsError.MembershipTagInvalid"/>,
    /// <see cref="MlsError.MembershipTagUnexpected"/>, <see cref="MlsError.SenderDataUndecryptable"/>,
    /// <see cref="MlsError.ContentUndecryptable"/>, <see cref="MlsError.PaddingNonZero"/>,
    /// <see cref="MlsError.SecretTreeLeafOutside"/>, <see cref="MlsError.GenerationUnavailable"/>,
    /// <see cref="MlsError.GenerationTooFarAhead"/>, <see cref="MlsError.UpdateInvalid"/>,
    /// <see cref="MlsError.ProposalForNonMember"/>, <see cref="MlsError.PskNonceLength"/>,
    /// <see cref="MlsError.PskUsageInvalid"/>, <see cref="MlsError.ReInitLowersVersion"/>,
    /// <see cref="MlsError.ProposalListInvalid"/>, <see cref="MlsError.GroupContextExtensionInvalid"/>,
    /// <see cref="MlsError.KeyPackageVersionOrSuite"/>, <see cref="MlsError.KeyPackageSignatureInvalid"/>,
    /// <see cref="MlsError.KeyPackageInitKeyInvalid"/>, <see cref="MlsError.KeyPackageExtensionUnsupported"/>,
    /// <see cref="MlsError.LeafNodeSourceWrong"/>, <see cref="MlsError.LeafNodeKeyInvalid"/>,
    /// <see cref="MlsError.CredentialRejected"/>, <see cref="MlsError.LeafNodeSignatureInvalid"/>,
    /// <see cref="MlsError.LeafNodeLifetimeExpired"/>, <see cref="MlsError.LeafNodeCapabilitiesInsufficient"/>,
    /// <see cref="MlsError.CredentialTypeNotSupportedByAll"/>, <see cref="MlsError.OwnCommitUnknown"/>,
    /// <see cref="MlsError.ConfirmationTagInvalid"/>, <see cref="MlsError.ProposalNotReceived"/>,
    /// <see cref="MlsError.CommitPathRequired"/>, <see cref="MlsError.ExternalCommitProposalsInvalid"/>,
    /// <see cref="MlsError.ProposalsConflict"/>, <see cref="MlsError.RemoveOfCommitter"/>,
    /// <see cref="MlsError.PskDuplicate"/>, <see cref="MlsError.PskUnavailable"/>,
    /// <see cref="MlsError.PskCountTooLarge"/>, <see cref="MlsError.TreeTooLarge"/>,
    /// <see cref="MlsError.SignatureKeyNotUnique"/>, <see cref="MlsError.EncryptionKeyNotUnique"/>,
    /// <see cref="MlsError.UpdatePathInvalid"/>, <see cref="MlsError.ParentHashInvalid"/>,
    /// <see cref="MlsError.BlankNode"/>, <see cref="MlsError.PathSecretUnavailable"/>,
    /// <see cref="MlsError.PathSecretKeyMismatch"/>, <see cref="MlsError.HpkeDecryptionFailed"/>,
    /// <see cref="MlsError.ExternalInitInvalid"/> (the codes of <see cref="CommitProcessor.Process"/> for a
    /// Commit).</exception>
    public ProcessedMessage ProcessMessage(MlsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfDisposed();
        return Guarded(() => Process(message, null));
    }

    // `encoded` is the message as received, when the caller has it.
    private ProcessedMessage Process(MlsMessage message, ReadOnlyMemory<byte>? encoded)
    {
        if (message.WireFormat is WireFormat.MlsPublicMessage or WireFormat.MlsPrivateMessage && (_pending is not null || !_sent.IsEmpty))
        {
            var bytes = encoded ?? message.ToBytes();
            if (_pending is not null && bytes.Span.SequenceEqual(_pending.MessageBytes))
            {
                return MergePendingCommit();
            }
            if (_sent.Contains(bytes.Span))
            {
                return OwnEcho(message);
            }
        }
        var s = ActiveState;
        if (message.PrivateMessage is { ContentType: ContentType.Application } late && s.Previous is { } previous
            && late.Epoch == previous.Context.Epoch && late.GroupId.AsSpan().SequenceEqual(s.GroupId))
        {
            return ProcessLateApplicationMessage(late, previous);
        }
        AuthenticatedContent content = message.Body switch
        {
            PublicMessage pm => MessageProtection.UnprotectPublic(s.Suite, pm, s.Context, s.Secrets.MembershipKey, IsMember),
            PrivateMessage pm => MessageProtection.UnprotectPrivate(s.Suite, pm, s.Context, s.SecretTree, s.Secrets.SenderDataSecret, IsMember).Content,
            _ => throw new MlsProtocolException(MlsError.MessageInvalid, $"A {message.WireFormat} message is not a message of the group."),
        };
        var framed = content.Content;
        var (signatureKey, credential) = SenderKey(s, framed);
        MessageProtection.VerifySignature(s.Suite, content, signatureKey, s.Context);

        switch (framed.ContentType)
        {
            case ContentType.Application:
                return new ApplicationMessage(framed.Sender, credential, framed.AuthenticatedData, framed.Epoch, framed.ApplicationData!)
                {
                    Authentication = new ContentAuthentication(content.Auth.Signature, TlsWriter.Encode(s.Context.Encode)),
                };
            case ContentType.Proposal:
                {
                    var proposal = framed.Proposal!;
                    ProposalList.ValidateReceived(s, proposal, framed.Sender, _options);
                    byte[] reference = content.MakeProposalRef(s.Suite);
                    s.Proposals.Add(new CachedProposal(reference, proposal, framed.Sender));
                    return new ProposalMessage(framed.Sender, credential, framed.AuthenticatedData, framed.Epoch, proposal, reference);
                }
            default:
                {
                    var (next, summary) = CommitProcessor.Process(s, content, _options);
                    _pending?.Dispose();
                    _pending = null;
                    if (next is null)
                    {
                        s.Active = false;
                    }
                    else
                    {
                        Advance(next);
                    }
                    return summary;
                }
        }
    }

    // This member's own message, recognized byte for byte: nothing is decrypted or changed.
    private OwnMessage OwnEcho(MlsMessage message)
    {
        var s = State;
        var credential = s.Tree.GetLeaf(s.OwnLeaf)?.Credential;
        return message.Body switch
        {
            PrivateMessage pm => new OwnMessage(Sender.Member(s.OwnLeaf), credential, pm.AuthenticatedData, pm.Epoch, pm.ContentType),
            PublicMessage pm => new OwnMessage(pm.Content.Sender, credential, pm.Content.AuthenticatedData, pm.Content.Epoch, pm.Content.ContentType),
            _ => throw new MlsProtocolException(MlsError.MessageInvalid, $"A {message.WireFormat} message is not a message of the group."),
        };
    }

    // An application message of the previous epoch, delivered after the Commit that ended it.
    private ApplicationMessage ProcessLateApplicationMessage(PrivateMessage message, PastEpoch previous)
    {
        var suite = State.Suite;
        var unprotected = MessageProtection.UnprotectPrivate(suite, message, previous.Context, previous.SecretTree, previous.SenderDataSecret,
            leaf => previous.Tree.GetLeaf(leaf) is not null);
        var framed = unprotected.Content.Content;
        var leaf = previous.Tree.GetLeaf(unprotected.Sender)!;
        MessageProtection.VerifySignature(suite, unprotected.Content, leaf.SignatureKey, previous.Context);
        return new ApplicationMessage(framed.Sender, leaf.Credential, framed.AuthenticatedData, framed.Epoch, framed.ApplicationData!)
        {
            Authentication = new ContentAuthentication(unprotected.Content.Auth.Signature, TlsWriter.Encode(previous.Context.Encode)),
        };
    }

    // Input from the network reaches code whose own argument checks throw ArgumentException and the
    // like; at the public edge every such failure reads as a protocol violation.
    private static T Guarded<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception e) when (e is not ObjectDisposedException
                                  && e is ArgumentException or InvalidOperationException or KeyNotFoundException
                                      or CryptographicException or IndexOutOfRangeException or OverflowException)
        {
            throw new MlsProtocolException(MlsError.MessageInvalid, $"The message is invalid: {e.Message}");
        }
    }

    private bool IsMember(LeafIndex leaf) => _state.Tree.GetLeaf(leaf) is not null;

    // The key that verifies the sender's signature (RFC 9420 §6.1), and the sender's credential.
    private static (byte[] SignatureKey, Credential? Credential) SenderKey(GroupState s, FramedContent framed)
    {
        var sender = framed.Sender;
        switch (sender.Type)
        {
            case SenderType.Member:
                {
                    var leaf = s.Tree.GetLeaf(sender.LeafIndex) ?? throw new MlsProtocolException(MlsError.SenderNotMember, $"The sender ({sender.LeafIndex}) is not a member.");
                    return (leaf.SignatureKey, leaf.Credential);
                }
            case SenderType.External:
                {
                    var senders = GroupExtensions.ExternalSenders(s.Context.Extensions);
                    if (sender.Index >= senders.Count)
                    {
                        throw new MlsProtocolException(MlsError.ExternalSenderUnknown, $"External sender {sender.Index} is not listed in the group's external_senders extension.");
                    }
                    if (framed.Proposal?.Type is not (ProposalType.Add or ProposalType.Remove or ProposalType.Psk or ProposalType.ReInit
                        or ProposalType.GroupContextExtensions))
                    {
                        throw new MlsProtocolException(MlsError.SenderNotAllowed, "An external sender may not send this kind of proposal.");
                    }
                    var external = senders[(int)sender.Index];
                    return (external.SignatureKey, external.Credential);
                }
            case SenderType.NewMemberProposal:
                {
                    if (framed.Proposal is not Add add)
                    {
                        throw new MlsProtocolException(MlsError.SenderNotAllowed, "A new member may only propose its own Add.");
                    }
                    return (add.KeyPackage.LeafNode.SignatureKey, add.KeyPackage.LeafNode.Credential);
                }
            default:
                {
                    var path = framed.Commit?.Path ?? throw new MlsProtocolException(MlsError.CommitPathRequired, "An external Commit must carry a path.");
                    return (path.LeafNode.SignatureKey, path.LeafNode.Credential);
                }
        }
    }

    // ---- Lifetime ----------------------------------------------------------------------------

    /// <summary>The current state (internal so that tests can frame forged messages with the epoch's keys).</summary>
    internal GroupState State
    {
        get
        {
            ThrowIfDisposed();
            return _state;
        }
    }

    private GroupState ActiveState
    {
        get
        {
            var s = State;
            if (!s.Active)
            {
                throw new MlsProtocolException(MlsError.GroupInactive, s.ReInit is null
                    ? "This member has been removed from the group."
                    : "The group was closed by a ReInit; join the new group.");
            }
            return s;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Wipes every secret of the group and of its pending Commit.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _pending?.Dispose();
        _pending = null;
        _state.Dispose();
    }

    public override string ToString() => _disposed ? "MlsGroup(disposed)" : $"MlsGroup(epoch {_state.Epoch}, {_state.OwnLeaf})";
}
