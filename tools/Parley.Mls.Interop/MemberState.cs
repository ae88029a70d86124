// One member's group state as the interop harness sees it (a state_id): an MlsGroup, its external
// PSKs, and the proposal messages it sent during the current epoch; and the groups reinitialized or
// branched from it (RFC 9420 §11.2, §11.3).
using System.Security.Cryptography;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Interop.Protocol;
using Parley.Mls.Messages;
using Parley.Mls.Tree;

namespace Parley.Mls.Interop;

/// <summary>A group state held for the test runner. Calls on one state are serialized (MlsGroup is not
/// thread-safe); every MLS object goes in and out as its wire encoding.</summary>
public sealed class MemberState : IDisposable
{
    /// <summary>How long the key packages handed out stay valid: the library has no clock, the server has.</summary>
    private static readonly TimeSpan KeyPackageLifetime = TimeSpan.FromDays(90);

    private readonly Lock _gate = new();
    private readonly MlsGroup _group;
    private readonly bool _encryptHandshake;

    // The test runner hands a member's own proposals back to it (in Commit.by_reference and
    // HandleCommit.proposal); those are already cached and, when encrypted, cannot be decrypted by
    // their sender, so they are recognized by their bytes and skipped.
    private readonly HashSet<string> _ownProposals = new(StringComparer.Ordinal);
    private ulong _ownProposalsEpoch;

    private MemberState(MlsGroup group, PskStore psks, bool encryptHandshake)
    {
        _group = group;
        Psks = psks;
        _encryptHandshake = encryptHandshake;
        _ownProposalsEpoch = group.Epoch;
    }

    /// <summary>External PSKs stored with StorePSK; the group reads them from here.</summary>
    public PskStore Psks { get; }

    // ---- Becoming a member --------------------------------------------------------------------

    /// <summary>A key package with a basic credential for <paramref name="identity"/> and a fresh signature key.</summary>
    public static KeyPackageBundle CreateKeyPackage(CipherSuite suite, byte[] identity)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var signatureKeys = suite.GenerateSignatureKeyPair();
        try
        {
            return KeyPackageBundle.Create(suite, Credential.Basic(identity), signatureKeys, CurrentLifetime());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(signatureKeys.PrivateKey);
        }
    }

    /// <summary>Creates a one-member group whose creator has a basic credential for <paramref name="identity"/>.</summary>
    public static MemberState CreateGroup(CipherSuite suite, byte[] groupId, byte[] identity, bool encryptHandshake)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var psks = new PskStore();
        var signatureKeys = suite.GenerateSignatureKeyPair();
        try
        {
            var group = MlsGroup.Create(suite, groupId, Credential.Basic(identity), signatureKeys,
                options: Options(psks, encryptHandshake), lifetime: CurrentLifetime());
            return new MemberState(group, psks, encryptHandshake);
        }
        catch
        {
            psks.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(signatureKeys.PrivateKey);
        }
    }

    /// <summary>Joins from a Welcome (MLSMessage bytes) addressed to the pending join's key package; the
    /// state takes over the PSKs stored for the join.</summary>
    public static MemberState Join(PendingJoin join, ReadOnlyMemory<byte> welcome, ReadOnlyMemory<byte> ratchetTree, bool encryptHandshake)
    {
        ArgumentNullException.ThrowIfNull(join);
        var message = MlsMessage.Decode(welcome);
        var tree = ratchetTree.IsEmpty ? null : RatchetTreeExtension.Decode(ratchetTree);
        var group = MlsGroup.JoinFromWelcome(message, join.Bundle, tree, Options(join.Psks, encryptHandshake));
        return new MemberState(group, join.TakePsks(), encryptHandshake);
    }

    /// <summary>Joins by external Commit from a GroupInfo (MLSMessage bytes); returns the state and the Commit.</summary>
    public static (MemberState State, byte[] Commit) JoinExternally(ReadOnlyMemory<byte> groupInfo, ReadOnlyMemory<byte> ratchetTree,
        byte[] identity, bool encryptHandshake, bool removePrior, IEnumerable<(byte[] Id, byte[] Secret)> psks)
    {
        ArgumentNullException.ThrowIfNull(psks);
        var info = MlsMessage.Decode(groupInfo).GroupInfo ?? throw new MlsProtocolException(MlsError.MessageInvalid, "The message is not a GroupInfo.");
        var tree = ratchetTree.IsEmpty ? null : RatchetTreeExtension.Decode(ratchetTree);
        var suite = CipherSuite.Get(info.GroupContext.CipherSuite);
        var credential = Credential.Basic(identity);

        var store = new PskStore();
        var signatureKeys = suite.GenerateSignatureKeyPair();
        try
        {
            var pskIds = new List<PreSharedKeyId>();
            foreach (var (id, secret) in psks)
            {
                store.AddExternal(id, secret);
                pskIds.Add(PreSharedKeyId.External(id, RandomNumberGenerator.GetBytes(suite.HashLength)));
            }
            var joinOptions = new ExternalJoinOptions
            {
                Psks = pskIds,
                RemoveLeaf = removePrior ? FindLeaf(tree ?? TreeOf(info), identity) : null,
            };
            var (group, commit) = MlsGroup.JoinByExternalCommit(info, credential, signatureKeys, tree, joinOptions, Options(store, encryptHandshake));
            return (new MemberState(group, store, encryptHandshake), commit.ToBytes());
        }
        catch
        {
            store.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(signatureKeys.PrivateKey);
        }
    }

    // ---- Reading the state ----------------------------------------------------------------------

    /// <summary>The epoch authenticator (also of the last epoch of a group closed by a ReInit), or empty
    /// once this member has been removed.</summary>
    public byte[] EpochAuthenticator()
    {
        lock (_gate)
        {
            return CurrentAuthenticator();
        }
    }

    private byte[] CurrentAuthenticator() => _group.IsActive || _group.ReInit is not null ? _group.EpochAuthenticator : [];

    /// <summary>MLS-Exporter(label, context, length).</summary>
    public byte[] Export(string label, ReadOnlySpan<byte> context, uint length)
    {
        if (length > 0xFFFF)
        {
            throw new ArgumentException($"The exporter length {length} is too large.");
        }
        lock (_gate)
        {
            return _group.Export(label, context, (int)length);
        }
    }

    /// <summary>A signed GroupInfo with external_pub (MLSMessage bytes), and the ratchet tree apart
    /// when <paramref name="externalTree"/> (empty otherwise).</summary>
    public (byte[] GroupInfo, byte[] RatchetTree) GroupInfo(bool externalTree)
    {
        lock (_gate)
        {
            var info = _group.CreateGroupInfo(includeRatchetTree: !externalTree, includeExternalPub: true);
            byte[] tree = externalTree ? RatchetTreeExtension.Encode(_group.ExportRatchetTree()) : [];
            return (new MlsMessage(info).ToBytes(), tree);
        }
    }

    // ---- Application messages -------------------------------------------------------------------

    /// <summary>Encrypts application data; returns the PrivateMessage as MLSMessage bytes.</summary>
    public byte[] Protect(ReadOnlySpan<byte> plaintext, byte[] authenticatedData)
    {
        lock (_gate)
        {
            return _group.EncryptApplicationMessage(plaintext, authenticatedData).ToBytes();
        }
    }

    /// <summary>Decrypts an application message.</summary>
    public (byte[] AuthenticatedData, byte[] Plaintext) Unprotect(ReadOnlyMemory<byte> message)
    {
        // Checked before processing, so that a handshake message sent here is not applied by mistake.
        var decoded = MlsMessage.Decode(message);
        if (decoded.PrivateMessage?.ContentType != ContentType.Application)
        {
            throw new MlsProtocolException(MlsError.MessageInvalid, "The message is not an application message (a PrivateMessage of content type application).");
        }
        lock (_gate)
        {
            return _group.ProcessMessage(decoded) is ApplicationMessage application
                ? (application.AuthenticatedData, application.Data)
                : throw new MlsProtocolException(MlsError.MessageInvalid, "The message is not an application message.");
        }
    }

    // ---- Proposals ------------------------------------------------------------------------------

    /// <summary>Proposes adding the client of a key package (MLSMessage bytes).</summary>
    public byte[] ProposeAdd(ReadOnlyMemory<byte> keyPackage) => Propose(g => g.ProposeAdd(DecodeKeyPackage(keyPackage)));

    /// <summary>Proposes an Update of this member's leaf.</summary>
    public byte[] ProposeUpdate() => Propose(g => g.ProposeUpdate());

    /// <summary>Proposes removing the member whose basic credential names <paramref name="identity"/>.</summary>
    public byte[] ProposeRemove(byte[] identity) => Propose(g => g.ProposeRemove(FindMember(g, identity)));

    /// <summary>Proposes injecting an external PSK (stored with StorePSK).</summary>
    public byte[] ProposeExternalPsk(byte[] pskId) => Propose(g => g.ProposeExternalPsk(pskId));

    /// <summary>Proposes injecting this group's resumption PSK of <paramref name="epoch"/>.</summary>
    public byte[] ProposeResumptionPsk(ulong epoch) => Propose(g => g.ProposeResumptionPsk(epoch));

    /// <summary>Proposes new group context extensions.</summary>
    public byte[] ProposeGroupContextExtensions(IReadOnlyList<Messages.Extension> extensions)
        => Propose(g => g.ProposeGroupContextExtensions(extensions));

    /// <summary>Proposes reinitializing the group as <paramref name="groupId"/> with <paramref name="suite"/> and
    /// <paramref name="extensions"/>.</summary>
    public byte[] ProposeReInit(byte[] groupId, CipherSuite suite, IReadOnlyList<Messages.Extension> extensions)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return Propose(g => g.ProposeReInit(groupId, suite.Id, extensions));
    }

    private byte[] Propose(Func<MlsGroup, MlsMessage> propose)
    {
        lock (_gate)
        {
            byte[] message = propose(_group).ToBytes();
            OwnProposals().Add(Fingerprint(message));
            return message;
        }
    }

    // ---- Commits --------------------------------------------------------------------------------

    /// <summary>Processes the proposals of other members (<paramref name="byReference"/>), then commits them
    /// together with new proposals by value. The group stays in its epoch until <see cref="HandlePendingCommit"/>.
    /// Returns the Commit, the Welcome (empty if nobody was added) and, when <paramref name="externalTree"/>,
    /// the new epoch's ratchet tree, which is then left out of the Welcome.</summary>
    public (byte[] Commit, byte[] Welcome, byte[] RatchetTree) Commit(IEnumerable<ReadOnlyMemory<byte>> byReference,
        IEnumerable<ProposalDescription> byValue, bool forcePath, bool externalTree)
    {
        ArgumentNullException.ThrowIfNull(byReference);
        ArgumentNullException.ThrowIfNull(byValue);
        lock (_gate)
        {
            foreach (var proposal in byReference)
            {
                ProcessProposal(proposal);
            }
            var proposals = byValue.Select(d => ToProposal(_group, d)).ToList();
            var result = _group.Commit(new CommitOptions
            {
                Proposals = proposals,
                ForcePath = forcePath,
                RatchetTreeInWelcome = !externalTree,
                // The new epoch's tree is read from a GroupInfo of that epoch (the group is still in the old one).
                CreateGroupInfo = externalTree,
                RatchetTreeInGroupInfo = true,
            });
            byte[] tree = [];
            if (externalTree)
            {
                var info = result.GroupInfo?.GroupInfo ?? throw new InvalidOperationException("The Commit produced no GroupInfo.");
                tree = RatchetTreeExtension.Encode(TreeOf(info));
            }
            return (result.Commit.ToBytes(), result.Welcome?.ToBytes() ?? [], tree);
        }
    }

    /// <summary>Processes the proposals the Commit references (skipping this member's own), then the Commit;
    /// returns the new epoch authenticator (empty if the Commit removed this member).</summary>
    public byte[] HandleCommit(IEnumerable<ReadOnlyMemory<byte>> proposals, ReadOnlyMemory<byte> commit)
    {
        ArgumentNullException.ThrowIfNull(proposals);
        lock (_gate)
        {
            foreach (var proposal in proposals)
            {
                ProcessProposal(proposal);
            }
            if (_group.ProcessMessage(commit) is not CommitMessage)
            {
                throw new MlsProtocolException(MlsError.MessageInvalid, "The commit message does not carry a Commit.");
            }
            return CurrentAuthenticator();
        }
    }

    /// <summary>Applies this member's own pending Commit; returns the new epoch authenticator.</summary>
    public byte[] HandlePendingCommit()
    {
        lock (_gate)
        {
            if (!_group.HasPendingCommit)
            {
                throw new InvalidOperationException("This state has no pending Commit.");
            }
            _group.MergePendingCommit();
            return CurrentAuthenticator();
        }
    }

    private void ProcessProposal(ReadOnlyMemory<byte> message)
    {
        if (OwnProposals().Contains(Fingerprint(message.Span)))
        {
            return;
        }
        if (_group.ProcessMessage(message) is not ProposalMessage)
        {
            throw new MlsProtocolException(MlsError.MessageInvalid, "A message given as a proposal does not carry a proposal.");
        }
    }

    private HashSet<string> OwnProposals()
    {
        if (_ownProposalsEpoch != _group.Epoch)
        {
            _ownProposals.Clear();
            _ownProposalsEpoch = _group.Epoch;
        }
        return _ownProposals;
    }

    private static string Fingerprint(ReadOnlySpan<byte> message) => Convert.ToHexString(SHA256.HashData(message));

    // ---- Reinitialization and branching (RFC 9420 §11.2, §11.3) ----------------------------------

    /// <summary>After this member applied a ReInit Commit: a signature key and a key package (same identity)
    /// for the new cipher suite, kept with this state until the new group is created or joined.</summary>
    public PendingReInit StartReInit()
    {
        lock (_gate)
        {
            var reInit = _group.ReInit ?? throw new MlsProtocolException(MlsError.NoReInit, "The Commit did not contain a ReInit: the group was not closed for reinitialization.");
            var suite = ReInitSuite(reInit.CipherSuite);
            var identity = _group.MemberAt(_group.OwnLeafIndex)!.Credential;
            var signatureKeys = suite.GenerateSignatureKeyPair();
            try
            {
                var keyPackage = KeyPackageBundle.Create(suite, identity, signatureKeys, CurrentLifetime());
                return new PendingReInit(this, signatureKeys, keyPackage);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(signatureKeys.PrivateKey);
                throw;
            }
        }
    }

    /// <summary>Creates the group the ReInit asks for, adding the other members' key packages (MLSMessage bytes);
    /// returns its state, the Welcome and, when <paramref name="externalTree"/>, the tree left out of the Welcome.</summary>
    public (MemberState State, byte[] Welcome, byte[] RatchetTree) CreateReInitGroup(PendingReInit reInit, IEnumerable<ReadOnlyMemory<byte>> keyPackages,
        bool forcePath, bool externalTree)
    {
        ArgumentNullException.ThrowIfNull(reInit);
        ArgumentNullException.ThrowIfNull(keyPackages);
        var packages = keyPackages.Select(DecodeKeyPackage).ToList();
        return CreateLinked((g, options) => g.CreateReInitGroup(packages, options with { SignatureKeyPair = reInit.SignatureKeys }),
            forcePath, externalTree);
    }

    /// <summary>Joins the group the ReInit created from its Welcome, with the key package of <paramref name="reInit"/>.</summary>
    public MemberState JoinReInitGroup(PendingReInit reInit, ReadOnlyMemory<byte> welcome, ReadOnlyMemory<byte> ratchetTree)
    {
        ArgumentNullException.ThrowIfNull(reInit);
        return JoinLinked((g, message, tree, options) => g.JoinReInitGroup(message, reInit.KeyPackage, tree, options), welcome, ratchetTree);
    }

    /// <summary>Branches a subgroup off this group with the given members' key packages (MLSMessage bytes).</summary>
    public (MemberState State, byte[] Welcome, byte[] RatchetTree) CreateBranch(byte[] groupId, IReadOnlyList<Messages.Extension> extensions,
        IEnumerable<ReadOnlyMemory<byte>> keyPackages, bool forcePath, bool externalTree)
    {
        ArgumentNullException.ThrowIfNull(keyPackages);
        var packages = keyPackages.Select(DecodeKeyPackage).ToList();
        return CreateLinked((g, options) => g.CreateBranch(groupId, packages, extensions, options), forcePath, externalTree);
    }

    /// <summary>Joins a subgroup branched off this group from its Welcome, with the pending join's key package.</summary>
    public MemberState JoinBranch(PendingJoin join, ReadOnlyMemory<byte> welcome, ReadOnlyMemory<byte> ratchetTree)
    {
        ArgumentNullException.ThrowIfNull(join);
        return JoinLinked((g, message, tree, options) => g.JoinBranch(message, join.Bundle, tree, options), welcome, ratchetTree);
    }

    private (MemberState State, byte[] Welcome, byte[] RatchetTree) CreateLinked(
        Func<MlsGroup, LinkedGroupOptions, (MlsGroup Group, MlsMessage? Welcome)> create, bool forcePath, bool externalTree)
    {
        var psks = new PskStore();
        try
        {
            var options = new LinkedGroupOptions
            {
                ForcePath = forcePath,
                RatchetTreeInWelcome = !externalTree,
                Lifetime = CurrentLifetime(),
                GroupOptions = Options(psks, _encryptHandshake),
            };
            (MlsGroup Group, MlsMessage? Welcome) created;
            lock (_gate)
            {
                created = create(_group, options);
            }
            var state = new MemberState(created.Group, psks, _encryptHandshake);
            byte[] tree = externalTree ? RatchetTreeExtension.Encode(created.Group.ExportRatchetTree()) : [];
            return (state, created.Welcome?.ToBytes() ?? [], tree);
        }
        catch
        {
            psks.Dispose();
            throw;
        }
    }

    private MemberState JoinLinked(Func<MlsGroup, MlsMessage, IReadOnlyList<Node?>?, MlsGroupOptions, MlsGroup> join,
        ReadOnlyMemory<byte> welcome, ReadOnlyMemory<byte> ratchetTree)
    {
        var message = MlsMessage.Decode(welcome);
        var tree = ratchetTree.IsEmpty ? null : RatchetTreeExtension.Decode(ratchetTree);
        var psks = new PskStore();
        try
        {
            MlsGroup group;
            lock (_gate)
            {
                group = join(_group, message, tree, Options(psks, _encryptHandshake));
            }
            return new MemberState(group, psks, _encryptHandshake);
        }
        catch
        {
            psks.Dispose();
            throw;
        }
    }

    // ---- Translating the harness's vocabulary -------------------------------------------------

    /// <summary>Builds a proposal to commit by value from the harness's description.</summary>
    private static Proposal ToProposal(MlsGroup group, ProposalDescription description)
    {
        string type = description.ProposalType.ToStringUtf8();
        return type switch
        {
            "add" => new Add(DecodeKeyPackage(description.KeyPackage.Memory)),
            "remove" => new Remove(FindMember(group, description.RemovedId.ToByteArray())),
            "externalPSK" => group.CreateExternalPskProposal(description.PskId.ToByteArray()),
            "resumptionPSK" => group.CreateResumptionPskProposal(description.EpochId),
            "groupContextExtensions" => new GroupContextExtensions(ToExtensions(description.Extensions)),
            "reinit" => new ReInit(description.GroupId.ToByteArray(), ProtocolVersion.Mls10, ReInitSuite(description.CipherSuite).Id,
                ToExtensions(description.Extensions)),
            _ => throw new ArgumentException($"Unknown proposal type '{type}'."),
        };
    }

    /// <summary>The cipher suite a ReInit may name: one Parley implements, so that the group can follow it.</summary>
    public static CipherSuite ReInitSuite(uint id)
        => id <= ushort.MaxValue && CipherSuite.TryGet((ushort)id, out var suite)
            ? suite
            : throw new NotSupportedException($"Parley does not implement cipher suite {id}, so it cannot reinitialize to it.");

    /// <summary>Converts the harness's extensions to MLS extensions.</summary>
    public static List<Messages.Extension> ToExtensions(IEnumerable<Protocol.Extension> extensions)
        => extensions.Select(e => e.ExtensionType <= ushort.MaxValue
                ? new Messages.Extension((ushort)e.ExtensionType, e.ExtensionData.ToByteArray())
                : throw new ArgumentException($"Extension type {e.ExtensionType} does not fit in 16 bits."))
            .ToList();

    private static KeyPackage DecodeKeyPackage(ReadOnlyMemory<byte> message)
        => MlsMessage.Decode(message).KeyPackage ?? throw new MlsProtocolException(MlsError.MessageInvalid, "The message is not a KeyPackage.");

    private static LeafIndex FindMember(MlsGroup group, byte[] identity)
        => group.Members.FirstOrDefault(m => m.Credential.Identity is { } id && id.AsSpan().SequenceEqual(identity))?.Index
           ?? throw new MlsProtocolException(MlsError.ProposalForNonMember, "No member of the group has a basic credential with that identity.");

    private static LeafIndex? FindLeaf(IReadOnlyList<Node?> tree, byte[] identity)
    {
        for (int node = 0; node < tree.Count; node += 2)
        {
            if (tree[node]?.Leaf?.Credential.Identity is { } id && id.AsSpan().SequenceEqual(identity))
            {
                return new LeafIndex((uint)(node / 2));
            }
        }
        throw new MlsProtocolException(MlsError.ProposalForNonMember, "remove_prior was asked, but no member of the group has that identity.");
    }

    private static List<Node?> TreeOf(Messages.GroupInfo info)
        => info.Extensions.FirstOrDefault(e => e.Type == ExtensionType.RatchetTree) is { } extension
            ? RatchetTreeExtension.Decode(extension.Data)
            : throw new MlsProtocolException(MlsError.RatchetTreeMissing, "The GroupInfo carries no ratchet tree and none was given.");

    // ---- Settings -------------------------------------------------------------------------------

    private static MlsGroupOptions Options(PskStore psks, bool encryptHandshake)
        => new() { EncryptHandshakeMessages = encryptHandshake, PskStore = psks, Now = Now };

    /// <summary>Now minus an hour (clock skew) to now plus the key package lifetime.</summary>
    public static Lifetime CurrentLifetime()
    {
        ulong now = Now();
        return new Lifetime(now - 3600, now + (ulong)KeyPackageLifetime.TotalSeconds);
    }

    /// <summary>Seconds since the Unix epoch, for the group's lifetime checks.</summary>
    public static ulong Now() => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void Dispose()
    {
        lock (_gate)
        {
            _group.Dispose();
            Psks.Dispose();
        }
    }

    public override string ToString() => $"MemberState({_group})";
}
