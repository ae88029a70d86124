// The MLSClient gRPC service of the mls-implementations interop harness (test-harness.md), served
// over Parley.Mls. Every MLS object crosses the wire as its RFC 9420 encoding.
using Google.Protobuf;
using Grpc.Core;
using Parley.Mls.Crypto;
using Parley.Mls.Interop.Protocol;

namespace Parley.Mls.Interop;

/// <summary>Answers the harness's rpcs. Rpcs Parley does not serve (external proposals and signers) are
/// left to the generated base class, which answers UNIMPLEMENTED.
/// Failures become gRPC statuses in <see cref="ErrorInterceptor"/>.</summary>
public sealed class MlsClientService(StateRegistry registry) : MLSClient.MLSClientBase
{
    /// <summary>The stack's name as the test runner reports it.</summary>
    public const string StackName = "Parley";

    // ---- About this stack -------------------------------------------------------------------------

    public override Task<NameResponse> Name(NameRequest request, ServerCallContext context)
        => Task.FromResult(new NameResponse { Name = StackName });

    public override Task<SupportedCiphersuitesResponse> SupportedCiphersuites(SupportedCiphersuitesRequest request, ServerCallContext context)
    {
        var response = new SupportedCiphersuitesResponse();
        response.Ciphersuites.AddRange(CipherSuite.Supported.Select(id => (uint)id));
        return Task.FromResult(response);
    }

    // ---- Becoming a member ------------------------------------------------------------------------

    public override Task<CreateGroupResponse> CreateGroup(CreateGroupRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = MemberState.CreateGroup(Suite(request.CipherSuite), request.GroupId.ToByteArray(), Identity(request.Identity), request.EncryptHandshake);
        return Task.FromResult(new CreateGroupResponse { StateId = registry.AddState(state) });
    }

    public override Task<CreateKeyPackageResponse> CreateKeyPackage(CreateKeyPackageRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bundle = MemberState.CreateKeyPackage(Suite(request.CipherSuite), Identity(request.Identity));
        uint transactionId = registry.AddTransaction(new PendingJoin(bundle));
        // The private keys stay inside the server; the harness only uses them for debugging.
        return Task.FromResult(new CreateKeyPackageResponse
        {
            TransactionId = transactionId,
            KeyPackage = ByteString.CopyFrom(bundle.ToMessageBytes()),
        });
    }

    public override Task<JoinGroupResponse> JoinGroup(JoinGroupRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var join = registry.GetTransaction(request.TransactionId);
        var state = MemberState.Join(join, request.Welcome.Memory, request.RatchetTree.Memory, request.EncryptHandshake);
        registry.RemoveTransaction(request.TransactionId);
        return Task.FromResult(new JoinGroupResponse
        {
            StateId = registry.AddState(state),
            EpochAuthenticator = ByteString.CopyFrom(state.EpochAuthenticator()),
        });
    }

    public override Task<ExternalJoinResponse> ExternalJoin(ExternalJoinRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (state, commit) = MemberState.JoinExternally(request.GroupInfo.Memory, request.RatchetTree.Memory, Identity(request.Identity),
            request.EncryptHandshake, request.RemovePrior, request.Psks.Select(p => (p.PskId.ToByteArray(), p.PskSecret.ToByteArray())));
        return Task.FromResult(new ExternalJoinResponse
        {
            StateId = registry.AddState(state),
            Commit = ByteString.CopyFrom(commit),
            EpochAuthenticator = ByteString.CopyFrom(state.EpochAuthenticator()),
        });
    }

    // ---- Reading and using a group state ----------------------------------------------------------

    public override Task<GroupInfoResponse> GroupInfo(GroupInfoRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (groupInfo, tree) = registry.GetState(request.StateId).GroupInfo(request.ExternalTree);
        return Task.FromResult(new GroupInfoResponse { GroupInfo = ByteString.CopyFrom(groupInfo), RatchetTree = ByteString.CopyFrom(tree) });
    }

    public override Task<StateAuthResponse> StateAuth(StateAuthRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(new StateAuthResponse
        {
            StateAuthSecret = ByteString.CopyFrom(registry.GetState(request.StateId).EpochAuthenticator()),
        });
    }

    public override Task<ExportResponse> Export(ExportRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] secret = registry.GetState(request.StateId).Export(request.Label, request.Context.Span, request.KeyLength);
        return Task.FromResult(new ExportResponse { ExportedSecret = ByteString.CopyFrom(secret) });
    }

    public override Task<ProtectResponse> Protect(ProtectRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] message = registry.GetState(request.StateId).Protect(request.Plaintext.Span, request.AuthenticatedData.ToByteArray());
        return Task.FromResult(new ProtectResponse { Ciphertext = ByteString.CopyFrom(message) });
    }

    public override Task<UnprotectResponse> Unprotect(UnprotectRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (authenticatedData, plaintext) = registry.GetState(request.StateId).Unprotect(request.Ciphertext.Memory);
        return Task.FromResult(new UnprotectResponse
        {
            AuthenticatedData = ByteString.CopyFrom(authenticatedData),
            Plaintext = ByteString.CopyFrom(plaintext),
        });
    }

    public override Task<StorePSKResponse> StorePSK(StorePSKRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PskId.IsEmpty)
        {
            throw new ArgumentException("The PSK id is empty.");
        }
        registry.GetPskStore(request.StateOrTransactionId).AddExternal(request.PskId.Span, request.PskSecret.Span);
        return Task.FromResult(new StorePSKResponse());
    }

    // ---- Proposals --------------------------------------------------------------------------------

    public override Task<ProposalResponse> AddProposal(AddProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeAdd(request.KeyPackage.Memory));
    }

    public override Task<ProposalResponse> UpdateProposal(UpdateProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeUpdate());
    }

    public override Task<ProposalResponse> RemoveProposal(RemoveProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeRemove(request.RemovedId.ToByteArray()));
    }

    public override Task<ProposalResponse> ExternalPSKProposal(ExternalPSKProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeExternalPsk(request.PskId.ToByteArray()));
    }

    public override Task<ProposalResponse> ResumptionPSKProposal(ResumptionPSKProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeResumptionPsk(request.EpochId));
    }

    public override Task<ProposalResponse> GroupContextExtensionsProposal(GroupContextExtensionsProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeGroupContextExtensions(MemberState.ToExtensions(request.Extensions)));
    }

    // ---- Commits ----------------------------------------------------------------------------------

    public override Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (commit, welcome, tree) = registry.GetState(request.StateId).Commit(
            request.ByReference.Select(p => p.Memory), request.ByValue, request.ForcePath, request.ExternalTree);
        return Task.FromResult(new CommitResponse
        {
            Commit = ByteString.CopyFrom(commit),
            Welcome = ByteString.CopyFrom(welcome),
            RatchetTree = ByteString.CopyFrom(tree),
        });
    }

    public override Task<HandleCommitResponse> HandleCommit(HandleCommitRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] authenticator = registry.GetState(request.StateId).HandleCommit(request.Proposal.Select(p => p.Memory), request.Commit.Memory);
        return Task.FromResult(new HandleCommitResponse { StateId = request.StateId, EpochAuthenticator = ByteString.CopyFrom(authenticator) });
    }

    public override Task<HandleCommitResponse> HandlePendingCommit(HandlePendingCommitRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        byte[] authenticator = registry.GetState(request.StateId).HandlePendingCommit();
        return Task.FromResult(new HandleCommitResponse { StateId = request.StateId, EpochAuthenticator = ByteString.CopyFrom(authenticator) });
    }

    // ---- Reinitialization (RFC 9420 §11.2) ---------------------------------------------------------

    public override Task<ProposalResponse> ReInitProposal(ReInitProposalRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Proposal(registry.GetState(request.StateId).ProposeReInit(request.GroupId.ToByteArray(),
            MemberState.ReInitSuite(request.CipherSuite), MemberState.ToExtensions(request.Extensions)));
    }

    /// <summary>A Commit covering the ReInit: the same as <see cref="Commit"/>.</summary>
    public override Task<CommitResponse> ReInitCommit(CommitRequest request, ServerCallContext context) => Commit(request, context);

    public override Task<HandleReInitCommitResponse> HandlePendingReInitCommit(HandlePendingCommitRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = registry.GetState(request.StateId);
        byte[] authenticator = state.HandlePendingCommit();
        return Task.FromResult(StartReInit(state, authenticator));
    }

    public override Task<HandleReInitCommitResponse> HandleReInitCommit(HandleCommitRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = registry.GetState(request.StateId);
        byte[] authenticator = state.HandleCommit(request.Proposal.Select(p => p.Memory), request.Commit.Memory);
        return Task.FromResult(StartReInit(state, authenticator));
    }

    public override Task<CreateSubgroupResponse> ReInitWelcome(ReInitWelcomeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reInit = registry.GetReInit(request.ReinitId);
        var (state, welcome, tree) = reInit.Old.CreateReInitGroup(reInit, request.KeyPackage.Select(k => k.Memory), request.ForcePath,
            request.ExternalTree);
        registry.RemoveReInit(request.ReinitId);
        return Task.FromResult(Subgroup(state, welcome, tree));
    }

    public override Task<JoinGroupResponse> HandleReInitWelcome(HandleReInitWelcomeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reInit = registry.GetReInit(request.ReinitId);
        var state = reInit.Old.JoinReInitGroup(reInit, request.Welcome.Memory, request.RatchetTree.Memory);
        registry.RemoveReInit(request.ReinitId);
        return Task.FromResult(new JoinGroupResponse
        {
            StateId = registry.AddState(state),
            EpochAuthenticator = ByteString.CopyFrom(state.EpochAuthenticator()),
        });
    }

    // The member's key package for the new group, kept under a reinit_id with the closed group.
    private HandleReInitCommitResponse StartReInit(MemberState state, byte[] authenticator)
    {
        var reInit = state.StartReInit();
        return new HandleReInitCommitResponse
        {
            ReinitId = registry.AddReInit(reInit),
            KeyPackage = ByteString.CopyFrom(reInit.KeyPackage.ToMessageBytes()),
            EpochAuthenticator = ByteString.CopyFrom(authenticator),
        };
    }

    // ---- Subgroup branching (RFC 9420 §11.3) ------------------------------------------------------

    public override Task<CreateSubgroupResponse> CreateBranch(CreateBranchRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (state, welcome, tree) = registry.GetState(request.StateId).CreateBranch(request.GroupId.ToByteArray(),
            MemberState.ToExtensions(request.Extensions), request.KeyPackages.Select(k => k.Memory), request.ForcePath, request.ExternalTree);
        return Task.FromResult(Subgroup(state, welcome, tree));
    }

    public override Task<HandleBranchResponse> HandleBranch(HandleBranchRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var join = registry.GetTransaction(request.TransactionId);
        var state = registry.GetState(request.StateId).JoinBranch(join, request.Welcome.Memory, request.RatchetTree.Memory);
        registry.RemoveTransaction(request.TransactionId);
        return Task.FromResult(new HandleBranchResponse
        {
            StateId = registry.AddState(state),
            EpochAuthenticator = ByteString.CopyFrom(state.EpochAuthenticator()),
        });
    }

    private CreateSubgroupResponse Subgroup(MemberState state, byte[] welcome, byte[] tree)
        => new()
        {
            StateId = registry.AddState(state),
            Welcome = ByteString.CopyFrom(welcome),
            RatchetTree = ByteString.CopyFrom(tree),
            EpochAuthenticator = ByteString.CopyFrom(state.EpochAuthenticator()),
        };

    // ---- Forgetting a state -----------------------------------------------------------------------

    public override Task<FreeResponse> Free(FreeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        registry.Free(request.StateId);
        return Task.FromResult(new FreeResponse());
    }

    private static Task<ProposalResponse> Proposal(byte[] message)
        => Task.FromResult(new ProposalResponse { Proposal = ByteString.CopyFrom(message) });

    private static CipherSuite Suite(uint id)
        => id <= ushort.MaxValue && CipherSuite.TryGet((ushort)id, out var suite)
            ? suite
            : throw new NotSupportedException($"Parley does not implement cipher suite {id}.");

    private static byte[] Identity(ByteString identity)
        => identity.IsEmpty ? throw new ArgumentException("The identity is empty.") : identity.ToByteArray();
}
