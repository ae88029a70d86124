// The steps of the mls-implementations test runner, over the MLSClient gRPC service: create, join,
// propose, commit, handle, and the "verify group state" subroutine of test-scenarios.md.
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

    public static ProposalDescription AddDescription(ByteString keyPackage)
        => new() { ProposalType = Bytes("add"), KeyPackage = keyPackage };

    public static ProposalDescription RemoveDescription(string identity)
        => new() { ProposalType = Bytes("remove"), RemovedId = Bytes(identity) };

    public static ProposalDescription ExternalPskDescription(ByteString pskId)
        => new() { ProposalType = Bytes("externalPSK"), PskId = pskId };

    public static ProposalDescription ResumptionPskDescription(ulong epoch)
        => new() { ProposalType = Bytes("resumptionPSK"), EpochId = epoch };
}
