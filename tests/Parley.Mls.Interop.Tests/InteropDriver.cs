// The steps of the mls-implementations test runner, over the MLSClient gRPC service: create, join,
// propose, commit, handle, reinit, branch, and the "verify group state" subroutine of test-scenarios.md.
using Google.Protobuf;
using Parley.Mls.Interop.Protocol;
using Xunit;

namespace Parley.Mls.Interop.Tests;

/// <summary>A member of a test group: a name for messages and the server's state id.</summary>
public sealed class Member(string name, uint stateId)
{
    public string Name { get; } = name;

    /// <summary>The current state id; HandleCommit may hand out a new one.</summary>
    public uint StateId { get; set; } = stateId;

    public override string ToString() => $"{Name} (state {StateId})";
}

/// <summary>Drives one interop client through scenario steps for one cipher suite.</summary>
public sealed class InteropDriver(MLSClient.MLSClientClient client, uint suite, bool encryptHandshake)
{
    public MLSClient.MLSClientClient Client { get; } = client;

    public uint Suite { get; } = suite;

    public bool EncryptHandshake { get; } = encryptHandshake;

    public static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    public async Task<Member> CreateGroupAsync(string name)
    {
        var response = await Client.CreateGroupAsync(new CreateGroupRequest
        {
            GroupId = Bytes($"group of {name} {Guid.NewGuid():N}"),
            CipherSuite = Suite,
            EncryptHandshake = EncryptHandshake,
            Identity = Bytes(name),
        });
        return new Member(name, response.StateId);
    }

    public async Task<CreateKeyPackageResponse> KeyPackageAsync(string name)
        => await Client.CreateKeyPackageAsync(new CreateKeyPackageRequest { CipherSuite = Suite, Identity = Bytes(name) });

    public async Task<Member> JoinAsync(string name, uint transactionId, ByteString welcome, ByteString? ratchetTree = null)
    {
        var response = await Client.JoinGroupAsync(new JoinGroupRequest
        {
            TransactionId = transactionId,
            Welcome = welcome,
            EncryptHandshake = EncryptHandshake,
            Identity = Bytes(name),
            RatchetTree = ratchetTree ?? ByteString.Empty,
        });
        Assert.False(response.EpochAuthenticator.IsEmpty);
        return new Member(name, response.StateId);
    }

    public async Task<CommitResponse> CommitAsync(Member committer, IEnumerable<ByteString>? byReference = null,
        IEnumerable<ProposalDescription>? byValue = null, bool forcePath = false, bool externalTree = false)
    {
        var request = new CommitRequest { StateId = committer.StateId, ForcePath = forcePath, ExternalTree = externalTree };
        request.ByReference.AddRange(byReference ?? []);
        request.ByValue.AddRange(byValue ?? []);
        var response = await Client.CommitAsync(request);
        Assert.False(response.Commit.IsEmpty);
        Assert.Equal(externalTree, !response.RatchetTree.IsEmpty);
        return response;
    }

    /// <summary>The committer applies its own Commit, every other listed member processes it (with the
    /// proposals it includes by reference); all must reach the same epoch authenticator.</summary>
    public async Task ApplyCommitAsync(Member committer, CommitResponse commit, IEnumerable<Member> others, IEnumerable<ByteString>? proposals = null)
    {
        var pending = await Client.HandlePendingCommitAsync(new HandlePendingCommitRequest { StateId = committer.StateId });
        committer.StateId = pending.StateId;
        foreach (var member in others)
        {
            var request = new HandleCommitRequest { StateId = member.StateId, Commit = commit.Commit };
            request.Proposal.AddRange(proposals ?? []);
            var handled = await Client.HandleCommitAsync(request);
            member.StateId = handled.StateId;
            Assert.True(pending.EpochAuthenticator == handled.EpochAuthenticator,
                $"{member} reached another epoch authenticator than the committer {committer}.");
        }
    }

    /// <summary>The committer adds new members by value in one Commit; they join from its Welcome.</summary>
    public async Task<List<Member>> AddAsync(Member committer, IReadOnlyCollection<Member> others, params string[] names)
    {
        var keyPackages = new List<CreateKeyPackageResponse>();
        foreach (string name in names)
        {
            keyPackages.Add(await KeyPackageAsync(name));
        }
        var commit = await CommitAsync(committer, byValue: keyPackages.Select(kp => AddDescription(kp.KeyPackage)));
        Assert.False(commit.Welcome.IsEmpty);
        await ApplyCommitAsync(committer, commit, others);
        var joined = new List<Member>();
        for (int i = 0; i < names.Length; i++)
        {
            joined.Add(await JoinAsync(names[i], keyPackages[i].TransactionId, commit.Welcome));
        }
        return joined;
    }

    /// <summary>The "verify group state" subroutine: every member has the same epoch authenticator and
    /// exporter output, and a message protected by each member is read by every other member.</summary>
    public async Task VerifyGroupStateAsync(IReadOnlyList<Member> members)
    {
        ByteString? authenticator = null;
        ByteString? exported = null;
        foreach (var member in members)
        {
            var auth = (await Client.StateAuthAsync(new StateAuthRequest { StateId = member.StateId })).StateAuthSecret;
            Assert.False(auth.IsEmpty);
            authenticator ??= auth;
            Assert.True(authenticator == auth, $"{member} has another epoch authenticator than {members[0]}.");
            var export = (await Client.ExportAsync(new ExportRequest
            {
                StateId = member.StateId,
                Label = "interop verify",
                Context = Bytes("context"),
                KeyLength = 32,
            })).ExportedSecret;
            Assert.Equal(32, export.Length);
            exported ??= export;
            Assert.True(exported == export, $"{member} exports another secret than {members[0]}.");
        }
        foreach (var sender in members)
        {
            var plaintext = Bytes($"hello from {sender.Name}");
            var aad = Bytes($"aad of {sender.Name}");
            var protectedMessage = await Client.ProtectAsync(new ProtectRequest { StateId = sender.StateId, Plaintext = plaintext, AuthenticatedData = aad });
            foreach (var receiver in members.Where(m => m != sender))
            {
                var opened = await Client.UnprotectAsync(new UnprotectRequest { StateId = receiver.StateId, Ciphertext = protectedMessage.Ciphertext });
                Assert.True(plaintext == opened.Plaintext, $"{receiver} read another plaintext than {sender} sent.");
                Assert.True(aad == opened.AuthenticatedData, $"{receiver} read other authenticated data than {sender} sent.");
            }
        }
    }

    /// <summary>The runner's "reinit" step (RFC 9420 §11.2): the proposer proposes a ReInit, the committer
    /// commits it by reference, every member applies the Commit and hands out a key package for the new
    /// suite, the welcomer creates the new group and the others join it. Returns the members' states in the
    /// new group, in the order of <paramref name="members"/>. A null proposer means the committer commits the
    /// ReInit by value.</summary>
    public async Task<List<Member>> ReInitAsync(IReadOnlyList<Member> members, Member? proposer, Member committer, Member welcomer,
        uint newSuite, ByteString newGroupId, IEnumerable<Protocol.Extension>? extensions = null, bool forcePath = false, bool externalTree = false)
    {
        var commitRequest = new CommitRequest { StateId = committer.StateId };
        ByteString? proposal = null;
        if (proposer is not null)
        {
            var proposalRequest = new ReInitProposalRequest { StateId = proposer.StateId, CipherSuite = newSuite, GroupId = newGroupId };
            proposalRequest.Extensions.AddRange(extensions ?? []);
            proposal = (await Client.ReInitProposalAsync(proposalRequest)).Proposal;
            commitRequest.ByReference.Add(proposal);
        }
        else
        {
            var description = new ProposalDescription { ProposalType = Bytes("reinit"), GroupId = newGroupId, CipherSuite = newSuite };
            description.Extensions.AddRange(extensions ?? []);
            commitRequest.ByValue.Add(description);
        }
        var commit = (await Client.ReInitCommitAsync(commitRequest)).Commit;

        var reInitIds = new Dictionary<Member, uint>();
        var keyPackages = new Dictionary<Member, ByteString>();
        var pending = await Client.HandlePendingReInitCommitAsync(new HandlePendingCommitRequest { StateId = committer.StateId });
        Assert.False(pending.EpochAuthenticator.IsEmpty);
        reInitIds[committer] = pending.ReinitId;
        keyPackages[committer] = pending.KeyPackage;
        foreach (var member in members.Where(m => m != committer))
        {
            var request = new HandleCommitRequest { StateId = member.StateId, Commit = commit };
            if (proposal is not null)
            {
                request.Proposal.Add(proposal);
            }
            var handled = await Client.HandleReInitCommitAsync(request);
            Assert.True(pending.EpochAuthenticator == handled.EpochAuthenticator, $"{member} reached another epoch authenticator than {committer}.");
            reInitIds[member] = handled.ReinitId;
            keyPackages[member] = handled.KeyPackage;
        }

        var welcomeRequest = new ReInitWelcomeRequest { ReinitId = reInitIds[welcomer], ForcePath = forcePath, ExternalTree = externalTree };
        welcomeRequest.KeyPackage.AddRange(members.Where(m => m != welcomer).Select(m => keyPackages[m]));
        var created = await Client.ReInitWelcomeAsync(welcomeRequest);
        Assert.False(created.Welcome.IsEmpty);
        Assert.Equal(externalTree, !created.RatchetTree.IsEmpty);

        var reborn = new List<Member>();
        foreach (var member in members)
        {
            if (member == welcomer)
            {
                reborn.Add(new Member(member.Name, created.StateId));
                continue;
            }
            var joined = await Client.HandleReInitWelcomeAsync(new HandleReInitWelcomeRequest
            {
                ReinitId = reInitIds[member],
                Welcome = created.Welcome,
                RatchetTree = externalTree ? created.RatchetTree : ByteString.Empty,
            });
            Assert.True(created.EpochAuthenticator == joined.EpochAuthenticator, $"{member} joined the new group at another epoch authenticator.");
            reborn.Add(new Member(member.Name, joined.StateId));
        }
        return reborn;
    }

    /// <summary>The runner's "branch" step (RFC 9420 §11.3): the members hand out key packages, the actor
    /// creates the branch, the members join it. Returns the actor's and the members' states in the branch;
    /// their states in the old group stay as they were.</summary>
    public async Task<List<Member>> BranchAsync(Member actor, IReadOnlyList<Member> members, IEnumerable<Protocol.Extension>? extensions = null,
        bool forcePath = false, bool externalTree = false)
    {
        var keyPackages = new List<CreateKeyPackageResponse>();
        foreach (var member in members)
        {
            keyPackages.Add(await KeyPackageAsync(member.Name));
        }
        var request = new CreateBranchRequest
        {
            StateId = actor.StateId,
            GroupId = Bytes($"branch {Guid.NewGuid():N}"),
            ForcePath = forcePath,
            ExternalTree = externalTree,
        };
        request.Extensions.AddRange(extensions ?? []);
        request.KeyPackages.AddRange(keyPackages.Select(kp => kp.KeyPackage));
        var created = await Client.CreateBranchAsync(request);
        Assert.False(created.Welcome.IsEmpty);
        Assert.Equal(externalTree, !created.RatchetTree.IsEmpty);

        var branch = new List<Member> { new(actor.Name, created.StateId) };
        for (int i = 0; i < members.Count; i++)
        {
            var joined = await Client.HandleBranchAsync(new HandleBranchRequest
            {
                StateId = members[i].StateId,
                TransactionId = keyPackages[i].TransactionId,
                Welcome = created.Welcome,
                RatchetTree = externalTree ? created.RatchetTree : ByteString.Empty,
            });
            Assert.True(created.EpochAuthenticator == joined.EpochAuthenticator, $"{members[i]} joined the branch at another epoch authenticator.");
            branch.Add(new Member(members[i].Name, joined.StateId));
        }
        return branch;
    }

    public static ProposalDescription AddDescription(ByteString keyPackage)
        => new() { ProposalType = Bytes("add"), KeyPackage = keyPackage };

    public static ProposalDescription RemoveDescription(string identity)
        => new() { ProposalType = Bytes("remove"), RemovedId = Bytes(identity) };

    public static ProposalDescription ExternalPskDescription(ByteString pskId)
        => new() { ProposalType = Bytes("externalPSK"), PskId = pskId };

    public static ProposalDescription ResumptionPskDescription(ulong epoch)
        => new() { ProposalType = Bytes("resumptionPSK"), EpochId = epoch };
}
