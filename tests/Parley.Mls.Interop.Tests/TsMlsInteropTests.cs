// Interoperability with ts-mls (TypeScript, npm ts-mls 1.6.4): mixed groups of Parley members (through
// the interop server) and ts-mls members (through tests/interop-ts/peer.mjs), exchanging only MLS wire
// bytes: KeyPackage, Welcome, GroupInfo, PublicMessage and PrivateMessage encodings, and ratchet trees.
using System.Text.Json.Nodes;
using Google.Protobuf;
using Parley.Mls.Interop.Protocol;
using Xunit;
using static Parley.Mls.Interop.Tests.InteropDriver;
using static Parley.Mls.Interop.Tests.TsMlsPeer;

namespace Parley.Mls.Interop.Tests;

[Collection(InteropCollection.Name)]
public sealed class TsMlsInteropTests(InteropServerFixture server, TsMlsPeerFixture peer) : IClassFixture<TsMlsPeerFixture>, IAsyncLifetime
{
    private readonly TsMlsPeer _peer = peer.Peer;

    /// <summary>Suites 1-3 (ts-mls runs the others, X448 and P-521 especially, in slow pure JavaScript),
    /// with handshake messages public and, for suites 1-3, encrypted. In suite 2 ts-mls's members sign with
    /// compressed P-256 keys, which Parley accepts (RFC 9420 §5.1.1 writes them uncompressed). And the
    /// post-quantum suites at ts-mls's provisional code points: 79 (ML-KEM-768), 83 and 84 (X-Wing), whose KEMs
    /// come from the npm packages @hpke/ml-kem and @hpke/hybridkem-x-wing.</summary>
    public static TheoryData<ushort, bool> Suites() => new()
    {
        { 1, false },
        { 1, true },
        { 2, false },
        { 2, true },
        { 3, true },
        { 79, true },
        { 83, false },
        { 83, true },
        { 84, true },
    };

    public async Task InitializeAsync() => await _peer.CallAsync("reset");

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Text(string text) => Hex(Bytes(text));

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Parley_joins_a_group_that_ts_mls_created(ushort suite, bool encrypt)
    {
        var d = new InteropDriver(server.Client, suite, encrypt);
        var created = await _peer.CallAsync("createGroup", new JsonObject { ["member"] = "alice", ["suite"] = suite, ["groupId"] = Text("ts-mls group"), ["identity"] = Text("alice") });
        AssertSignatureKeyForm(suite, created);

        // ts-mls adds Parley's key package; Parley joins from the Welcome, with the tree given apart.
        var bobKeyPackage = await d.KeyPackageAsync("bob");
        var added = await _peer.CallAsync("addMembers", new JsonObject
        {
            ["member"] = "alice",
            ["keyPackages"] = new JsonArray(Hex(bobKeyPackage.KeyPackage)),
            ["publicMessage"] = !encrypt,
        });
        var bob = await d.JoinAsync("bob", bobKeyPackage.TransactionId, Bytes(added["welcome"]), Bytes(added["ratchetTree"]));
        await VerifyAsync(["alice"], [bob]);

        // A second Parley member joins from a Welcome whose GroupInfo carries the tree.
        var carolKeyPackage = await d.KeyPackageAsync("carol");
        var addedCarol = await _peer.CallAsync("addMembers", new JsonObject
        {
            ["member"] = "alice",
            ["keyPackages"] = new JsonArray(Hex(carolKeyPackage.KeyPackage)),
            ["publicMessage"] = !encrypt,
            ["ratchetTreeExtension"] = true,
        });
        await HandleAsync(bob, addedCarol["commit"]);
        var carol = await d.JoinAsync("carol", carolKeyPackage.TransactionId, Bytes(addedCarol["welcome"]));
        await VerifyAsync(["alice"], [bob, carol]);

        // A Commit with a path from each side, processed by the other.
        var tsCommit = await _peer.CallAsync("commit", new JsonObject { ["member"] = "alice", ["publicMessage"] = !encrypt });
        await HandleAsync(bob, tsCommit["commit"]);
        await HandleAsync(carol, tsCommit["commit"]);
        await VerifyAsync(["alice"], [bob, carol]);

        var parleyCommit = await d.CommitAsync(bob, forcePath: true);
        await d.ApplyCommitAsync(bob, parleyCommit, [carol]);
        await _peer.CallAsync("processMessage", new JsonObject { ["member"] = "alice", ["message"] = Hex(parleyCommit.Commit) });
        await VerifyAsync(["alice"], [bob, carol]);

        // ts-mls removes a Parley member; Parley removes nobody but commits again.
        var removal = await _peer.CallAsync("removeMember", new JsonObject { ["member"] = "alice", ["identity"] = Text("carol"), ["publicMessage"] = !encrypt });
        await HandleAsync(bob, removal["commit"]);
        await HandleAsync(carol, removal["commit"]);
        await VerifyAsync(["alice"], [bob]);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task ts_mls_joins_a_group_that_Parley_created(ushort suite, bool encrypt)
    {
        var d = new InteropDriver(server.Client, suite, encrypt);
        var alice = await d.CreateGroupAsync("alice");

        // Parley adds ts-mls's key package; ts-mls joins from the Welcome and the tree given apart.
        var bobKeyPackage = await _peer.CallAsync("createKeyPackage", new JsonObject { ["member"] = "bob", ["suite"] = suite, ["identity"] = Text("bob") });
        AssertSignatureKeyForm(suite, bobKeyPackage);
        var commit = await d.CommitAsync(alice, byValue: [AddDescription(Bytes(bobKeyPackage["keyPackage"]))], externalTree: true);
        await d.ApplyCommitAsync(alice, commit, []);
        await _peer.CallAsync("joinWithWelcome", new JsonObject { ["member"] = "bob", ["welcome"] = Hex(commit.Welcome), ["ratchetTree"] = Hex(commit.RatchetTree) });
        await VerifyAsync(["bob"], [alice]);

        // A second ts-mls member joins from a Welcome that carries the tree in its GroupInfo.
        var carolKeyPackage = await _peer.CallAsync("createKeyPackage", new JsonObject { ["member"] = "carol", ["suite"] = suite, ["identity"] = Text("carol") });
        var addCarol = await d.CommitAsync(alice, byValue: [AddDescription(Bytes(carolKeyPackage["keyPackage"]))]);
        await d.ApplyCommitAsync(alice, addCarol, []);
        await ProcessAsync("bob", addCarol.Commit);
        await _peer.CallAsync("joinWithWelcome", new JsonObject { ["member"] = "carol", ["welcome"] = Hex(addCarol.Welcome) });
        await VerifyAsync(["bob", "carol"], [alice]);

        // A Commit with a path from each side, processed by the other.
        var parleyCommit = await d.CommitAsync(alice, forcePath: true);
        await d.ApplyCommitAsync(alice, parleyCommit, []);
        await ProcessAsync("bob", parleyCommit.Commit);
        await ProcessAsync("carol", parleyCommit.Commit);
        await VerifyAsync(["bob", "carol"], [alice]);

        var tsCommit = await _peer.CallAsync("commit", new JsonObject { ["member"] = "carol", ["publicMessage"] = !encrypt });
        await HandleAsync(alice, tsCommit["commit"]);
        await ProcessAsync("bob", Bytes(tsCommit["commit"]));
        await VerifyAsync(["bob", "carol"], [alice]);

        // Parley removes a ts-mls member.
        var removal = await d.CommitAsync(alice, byValue: [RemoveDescription("bob")]);
        await d.ApplyCommitAsync(alice, removal, []);
        await ProcessAsync("carol", removal.Commit);
        await VerifyAsync(["carol"], [alice]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(79)]
    [InlineData(83)]
    public async Task Each_side_joins_the_other_externally(ushort suite)
    {
        var d = new InteropDriver(server.Client, suite, false);
        var alice = await d.CreateGroupAsync("alice");
        var bobKeyPackage = await _peer.CallAsync("createKeyPackage", new JsonObject { ["member"] = "bob", ["suite"] = suite, ["identity"] = Text("bob") });
        var commit = await d.CommitAsync(alice, byValue: [AddDescription(Bytes(bobKeyPackage["keyPackage"]))]);
        await d.ApplyCommitAsync(alice, commit, []);
        await _peer.CallAsync("joinWithWelcome", new JsonObject { ["member"] = "bob", ["welcome"] = Hex(commit.Welcome) });

        // ts-mls joins externally from Parley's GroupInfo.
        var info = await server.Client.GroupInfoAsync(new GroupInfoRequest { StateId = alice.StateId, ExternalTree = true });
        var carol = await _peer.CallAsync("externalJoin", new JsonObject
        {
            ["member"] = "carol",
            ["suite"] = suite,
            ["groupInfo"] = Hex(info.GroupInfo),
            ["ratchetTree"] = Hex(info.RatchetTree),
            ["identity"] = Text("carol"),
        });
        await HandleAsync(alice, carol["commit"]);
        await ProcessAsync("bob", Bytes(carol["commit"]));
        await VerifyAsync(["bob", "carol"], [alice]);

        // Parley joins externally from ts-mls's GroupInfo (tree inside it).
        var tsInfo = await _peer.CallAsync("groupInfo", new JsonObject { ["member"] = "carol", ["ratchetTreeExtension"] = true });
        var dave = await server.Client.ExternalJoinAsync(new ExternalJoinRequest { GroupInfo = Bytes(tsInfo["groupInfo"]), Identity = Bytes("dave") });
        await HandleAsync(alice, dave.Commit);
        await ProcessAsync("bob", dave.Commit);
        await ProcessAsync("carol", dave.Commit);
        await VerifyAsync(["bob", "carol"], [alice, new Member("dave", dave.StateId)]);
    }

    /// <summary>ts-mls's signature key as the peer answered it: for P-256 (suite 2) the compressed point
    /// 0x02/0x03 || X that Parley must accept, else (Ed25519) 32 bytes.</summary>
    private static void AssertSignatureKeyForm(ushort suite, JsonNode answer)
    {
        byte[] key = Bytes(answer["signatureKey"]).ToByteArray();
        if (suite == 2)
        {
            Assert.Equal(33, key.Length);
            Assert.True(key[0] is 0x02 or 0x03, $"prefix {key[0]:x2}");
        }
        else
        {
            Assert.Equal(32, key.Length);
        }
    }

    private async Task HandleAsync(Member member, JsonNode? commit) => await HandleAsync(member, Bytes(commit));

    private async Task HandleAsync(Member member, ByteString commit)
    {
        var handled = await server.Client.HandleCommitAsync(new HandleCommitRequest { StateId = member.StateId, Commit = commit });
        member.StateId = handled.StateId;
    }

    private async Task ProcessAsync(string tsMember, ByteString message)
    {
        var answer = await _peer.CallAsync("processMessage", new JsonObject { ["member"] = tsMember, ["message"] = Hex(message) });
        Assert.Equal("newState", (string?)answer["kind"]);
    }

    /// <summary>Both stacks agree on the epoch authenticator and an exporter secret, and every member
    /// reads a message from every other member, across the two stacks.</summary>
    private async Task VerifyAsync(IReadOnlyList<string> tsMembers, IReadOnlyList<Member> parleyMembers)
    {
        const string Label = "parley ts-mls";
        var context = Bytes("exporter context");
        string? authenticator = null;
        string? exported = null;
        void Agree(ref string? expected, string actual, string what, string who)
        {
            expected ??= actual;
            Assert.True(expected == actual, $"{who} has another {what}.");
        }
        foreach (string name in tsMembers)
        {
            Agree(ref authenticator, (string)(await _peer.CallAsync("epochAuthenticator", new JsonObject { ["member"] = name }))["epochAuthenticator"]!, "epoch authenticator", $"ts-mls {name}");
            Agree(ref exported, (string)(await _peer.CallAsync("export", new JsonObject { ["member"] = name, ["label"] = Label, ["context"] = Hex(context), ["length"] = 32 }))["secret"]!, "exporter secret", $"ts-mls {name}");
        }
        foreach (var member in parleyMembers)
        {
            Agree(ref authenticator, Hex((await server.Client.StateAuthAsync(new StateAuthRequest { StateId = member.StateId })).StateAuthSecret), "epoch authenticator", $"Parley {member}");
            Agree(ref exported, Hex((await server.Client.ExportAsync(new ExportRequest { StateId = member.StateId, Label = Label, Context = context, KeyLength = 32 })).ExportedSecret), "exporter secret", $"Parley {member}");
        }

        foreach (string sender in tsMembers)
        {
            var plaintext = Bytes($"from ts-mls {sender}");
            var message = Bytes((await _peer.CallAsync("protect", new JsonObject { ["member"] = sender, ["plaintext"] = Hex(plaintext), ["authenticatedData"] = Text("ts aad") }))["message"]);
            foreach (var receiver in parleyMembers)
            {
                var opened = await server.Client.UnprotectAsync(new UnprotectRequest { StateId = receiver.StateId, Ciphertext = message });
                Assert.Equal(plaintext, opened.Plaintext);
                Assert.Equal(Bytes("ts aad"), opened.AuthenticatedData);
            }
            foreach (string receiver in tsMembers.Where(r => r != sender))
            {
                await _peer.CallAsync("unprotect", new JsonObject { ["member"] = receiver, ["message"] = Hex(message) });
            }
        }
        foreach (var sender in parleyMembers)
        {
            var plaintext = Bytes($"from Parley {sender.Name}");
            var message = (await server.Client.ProtectAsync(new ProtectRequest { StateId = sender.StateId, Plaintext = plaintext })).Ciphertext;
            foreach (string receiver in tsMembers)
            {
                var opened = await _peer.CallAsync("unprotect", new JsonObject { ["member"] = receiver, ["message"] = Hex(message) });
                Assert.Equal(Hex(plaintext), (string?)opened["plaintext"]);
            }
            foreach (var receiver in parleyMembers.Where(r => r != sender))
            {
                Assert.Equal(plaintext, (await server.Client.UnprotectAsync(new UnprotectRequest { StateId = receiver.StateId, Ciphertext = message })).Plaintext);
            }
        }
    }
}
