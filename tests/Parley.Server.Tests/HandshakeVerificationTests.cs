// RFC 9420 §6.1, §10.1, §12.2, §12.4.3 and §12.4.3.2, as the server enforces them before it orders a handshake message
// (docs/security.md, "What the server checks before it orders a handshake message").
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Tests;

public sealed class HandshakeVerificationTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_non_member_external_commit_removing_every_member_is_answered_as_a_missing_group_and_changes_nothing()
    {
        var (alice, bob, group) = await PairAsync();
        TestUser mallory = await TestUser.RegisterAsync(_server);
        // The attack as found: new_member_commit, ExternalInit, Removes of the real members, an all-zero signature.
        var leaf = new LeafNode(TestMls.Suite.Hpke.GenerateKeyPair().PublicKey, mallory.Device.SignatureKey.PublicKey,
            Credential.Basic(Encoding.ASCII.GetBytes(mallory.Device.Id)), new Capabilities([1], [1], [], [], [CredentialType.Basic]),
            LeafNodeSource.Commit, null, [], [], new byte[64]);
        var commit = new Commit([new ProposalOrRef(new ExternalInit(RandomNumberGenerator.GetBytes(32))),
            new ProposalOrRef(new Remove(new LeafIndex(0))), new ProposalOrRef(new Remove(new LeafIndex(1)))], new UpdatePath(leaf, []));
        PublicMessage Forged(byte[] groupId) => new(FramedContent.ForCommit(groupId, 1, Sender.NewMemberCommit, [], commit),
            new FramedContentAuthData(new byte[64], new byte[32]), null);
        var forged = Forged(group.Id);

        using var response = await group.SendAsync(mallory.Device, new MlsMessage(forged).ToBytes(), asIs: true);
        using var missing = await mallory.Device.Client.PostAsJsonAsync($"/v1/groups/{TestGroupIds.Unknown}/messages",
            new { id = "x", message = new MlsMessage(Forged(Convert.FromBase64String("AAAA"))).ToBytes() });

        var refused = await TestHttp.ProblemAsync(response);
        var unknown = await TestHttp.ProblemAsync(missing);
        Assert.Equal((404, "group_not_found"), (refused.Status, refused.Code));
        Assert.Equal((unknown.Status, unknown.Code, unknown.Body.GetProperty("detail").GetString()),
            (refused.Status, refused.Code, refused.Body.GetProperty("detail").GetString()));
        var roster = await group.GetAsync(alice.Device);
        Assert.Equal(1ul, roster.Epoch);
        Assert.Equal([alice.Device.Id, bob.Device.Id], roster.Members.Select(m => m.DeviceId));
        using var next = await group.SendAsync(alice.Device, TestMls.Commit(group.Id, 1, 0));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_members_commit_with_a_bad_signature_is_refused_and_changes_nothing()
    {
        var (alice, bob, group) = await PairAsync();

        // Unsigned (random signature bytes), and signed by another key than the sender leaf's.
        using var random = await group.SendAsync(bob.Device, TestMls.Commit(group.Id, 1, 1, new Remove(new LeafIndex(0))), asIs: true);
        using var wrongKey = await group.SendAsync(bob.Device, Resigned(group, alice.Device, TestMls.Commit(group.Id, 1, 1)), asIs: true);

        Assert.Equal((422, "invalid_signature"), Short(await TestHttp.ProblemAsync(random)));
        Assert.Equal((422, "invalid_signature"), Short(await TestHttp.ProblemAsync(wrongKey)));
        Assert.Equal(1ul, (await group.GetAsync(alice.Device)).Epoch);
        Assert.Empty(await TestMailbox.ReadAsync(alice.Device));
    }

    [Fact]
    public async Task A_proposal_with_a_bad_signature_is_refused()
    {
        var (_, bob, group) = await PairAsync();

        using var response = await group.SendAsync(bob.Device,
            new MlsMessage(TestMls.ProposalMessage(group.Id, 1, 1, new Remove(new LeafIndex(0)))).ToBytes(), asIs: true);

        Assert.Equal((422, "invalid_signature"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_commit_must_carry_the_groupinfo_of_its_new_epoch()
    {
        var (alice, _, group) = await PairAsync();
        byte[] signed = Resigned(group, alice.Device, TestMls.Commit(group.Id, 1, 0));

        using var without = await alice.Device.Client.PostAsJsonAsync($"/v1/groups/{group.IdText}/messages", new { id = "no-info", message = signed });

        Assert.Equal((422, "invalid_group_info"), Short(await TestHttp.ProblemAsync(without)));
        Assert.Equal(1ul, (await group.GetAsync(alice.Device)).Epoch);
    }

    [Fact]
    public async Task A_group_is_registered_only_with_its_creators_signed_epoch_0_groupinfo()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser mallory = await TestUser.RegisterAsync(_server);
        byte[] id = TestMls.NewGroupId();

        using var none = await alice.Device.Client.PostAsJsonAsync("/v1/groups", new { groupId = GroupIdText(id), cipherSuite = 1 });
        using var othersKey = await alice.Device.Client.PostAsJsonAsync("/v1/groups",
            new { groupId = GroupIdText(id), cipherSuite = 1, groupInfo = TestGroup.Genesis(mallory.Device, id).Message });

        Assert.Equal((400, "invalid_group_info"), Short(await TestHttp.ProblemAsync(none)));
        Assert.Equal((400, "invalid_group_info"), Short(await TestHttp.ProblemAsync(othersKey)));
    }

    [Fact]
    public async Task A_member_cannot_add_a_device_with_a_key_package_not_signed_by_its_registered_key()
    {
        var (alice, _, group) = await PairAsync();
        TestUser carol = await TestUser.RegisterAsync(_server);
        // A key package naming carol's active device, but made with a key alice controls.
        var forgedKey = TestMls.Suite.GenerateSignatureKeyPair();
        KeyPackage forged = TestMls.KeyPackageRecord(carol.Device.Id, forgedKey);

        using var response = await group.SendAsync(alice.Device, TestMls.Commit(group.Id, 1, 0, new Add(forged)), TestMls.Welcome(forged));

        Assert.Equal((422, "invalid_signature"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Equal(2, (await group.GetAsync(alice.Device)).Members.Count);
        Assert.Empty(await TestMailbox.ReadAsync(carol.Device));
    }

    [Fact]
    public async Task A_commits_path_leaf_must_carry_the_committers_registered_key()
    {
        var (alice, _, group) = await PairAsync();
        var other = TestMls.Suite.GenerateSignatureKeyPair();
        var leaf = TestMls.CommitLeaf(Encoding.ASCII.GetBytes(alice.Device.Id), other, group.Id, new LeafIndex(0));
        byte[] commit = new MlsMessage(TestMls.CommitMessage(group.Id, 1, Sender.Member(new LeafIndex(0)),
            new Commit([], new UpdatePath(leaf, [])))).ToBytes();

        using var response = await group.SendAsync(alice.Device, commit);

        Assert.Equal((422, "invalid_signature"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_device_of_an_account_in_the_group_may_join_by_a_well_formed_external_commit()
    {
        var (alice, bob, group) = await PairAsync();
        TestDevice laptop = await bob.AddDeviceAsync(_server);

        using var response = await group.SendExternalAsync(laptop);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var roster = await group.GetAsync(alice.Device);
        Assert.Equal(2ul, roster.Epoch);
        Assert.Equal(laptop.Id, roster.Members.Single(m => m.Leaf == 2).DeviceId);
    }

    [Fact]
    public async Task An_external_commit_may_remove_only_a_leaf_of_the_joiners_own_account()
    {
        var (alice, bob, group) = await PairAsync();
        TestDevice laptop = await bob.AddDeviceAsync(_server);

        using var removesAlice = await group.SendExternalAsync(laptop, new Remove(new LeafIndex(0)));
        using var removesTwo = await group.SendExternalAsync(laptop, new Remove(new LeafIndex(1)), new Remove(new LeafIndex(0)));

        Assert.Equal((422, "invalid_commit"), Short(await TestHttp.ProblemAsync(removesAlice)));
        Assert.Equal((422, "invalid_commit"), Short(await TestHttp.ProblemAsync(removesTwo)));
        Assert.Equal(1ul, (await group.GetAsync(alice.Device)).Epoch);
        // Replacing its own account's leaf (a resync) is allowed.
        using var resync = await group.SendExternalAsync(laptop, new Remove(new LeafIndex(1)));
        Assert.Equal(HttpStatusCode.OK, resync.StatusCode);
        Assert.Equal([alice.Device.Id, laptop.Id], (await group.GetAsync(alice.Device)).Members.Select(m => m.DeviceId));
    }

    [Fact]
    public async Task A_device_of_an_account_in_the_group_may_ask_to_join_and_every_member_gets_the_request()
    {
        var (alice, bob, group) = await PairAsync();
        TestDevice restored = await bob.AddDeviceAsync(_server);
        await TestMailbox.ReadAsync(bob.Device);
        byte[] request = TestMls.JoinRequest(group.Id, 1, TestMls.KeyPackageRecord(restored.Id, restored.SignatureKey), restored.SignatureKey);

        using var response = await group.SendAsync(restored, request, asIs: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (TestDevice member in new[] { alice.Device, bob.Device })
        {
            var delivered = (await TestMailbox.ReadAsync(member)).Select(e => e.Message).ToList();
            Assert.Contains(delivered, m => m.AsSpan().SequenceEqual(request));
        }
        var roster = await group.GetAsync(alice.Device);
        Assert.Equal(1ul, roster.Epoch);
        Assert.Equal([alice.Device.Id, bob.Device.Id], roster.Members.Select(m => m.DeviceId));
    }

    [Fact]
    public async Task A_request_to_join_is_refused_unless_its_own_account_is_in_the_group_it_adds_itself_it_is_signed_and_current()
    {
        var (alice, bob, group) = await PairAsync();
        TestDevice restored = await bob.AddDeviceAsync(_server);
        TestDevice phone = await bob.AddDeviceAsync(_server);
        TestUser mallory = await TestUser.RegisterAsync(_server);
        KeyPackage Own(TestDevice d) => TestMls.KeyPackageRecord(d.Id, d.SignatureKey);
        var stranger = TestMls.Suite.GenerateSignatureKeyPair();

        async Task<(int, string)> Refused(TestDevice sender, byte[] message)
        {
            using var response = await group.SendAsync(sender, message, asIs: true);
            return Short(await TestHttp.ProblemAsync(response));
        }

        // Another account's device is answered as for a group that does not exist.
        Assert.Equal((404, "group_not_found"),
            await Refused(mallory.Device, TestMls.JoinRequest(group.Id, 1, Own(mallory.Device), mallory.Device.SignatureKey)));
        // It may add only itself: not another device of its account, not a key it does not hold.
        Assert.Equal((422, "invalid_proposal"), await Refused(restored, TestMls.JoinRequest(group.Id, 1, Own(phone), phone.SignatureKey)));
        Assert.Equal((422, "invalid_signature"), await Refused(restored, TestMls.JoinRequest(group.Id, 1, Own(restored), stranger)));
        // A member asks for nothing.
        Assert.Equal((422, "invalid_proposal"), await Refused(bob.Device, TestMls.JoinRequest(group.Id, 1, Own(bob.Device), bob.Device.SignatureKey)));
        // An old epoch is told the current one.
        using (var stale = await group.SendAsync(restored, TestMls.JoinRequest(group.Id, 0, Own(restored), restored.SignatureKey), asIs: true))
        {
            var problem = await TestHttp.ProblemAsync(stale);
            Assert.Equal((409, "stale_epoch", 1ul), (problem.Status, problem.Code, problem.Body.GetProperty("epoch").GetUInt64()));
        }
        // A revoked device cannot ask.
        using (HttpClient anonymous = _server.CreateClient())
        {
            byte[] challenge = await TestHttp.ChallengeAsync(anonymous);
            using var revoke = await bob.Device.Client.PostAsJsonAsync($"/v1/devices/{restored.Id}/revoke", bob.RevokeBody(challenge, restored.Id));
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
        Assert.NotEqual(HttpStatusCode.OK,
            (await group.SendAsync(restored, TestMls.JoinRequest(group.Id, 1, Own(restored), restored.SignatureKey), asIs: true)).StatusCode);

        // Nothing reached the members, and the group is as it was.
        Assert.Empty(await TestMailbox.ReadAsync(alice.Device));
        var roster = await group.GetAsync(alice.Device);
        Assert.Equal((1ul, 2), (roster.Epoch, roster.Members.Count));
    }

    [Fact]
    public async Task What_the_server_keeps_to_verify_handshakes_is_public_keys_and_hashes_only()
    {
        var (alice, bob, group) = await PairAsync();

        // The data folder as a thief would copy it (docs/security.md, "What the server checks…"; server-protocol.md, "Durability").
        using var database = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, "parley.db")};Mode=ReadOnly;Pooling=False");
        database.Open();
        string groupId = group.IdText;
        // delivery_key and previous_delivery_key: the public keys of sealed sending's credentials (docs/protocol.md, "Sealed sending").
        Assert.Equal(["cipher_suite", "delivery_key", "epoch", "group_context", "group_id", "interim_hash", "previous_delivery_key"],
            database.Query("SELECT name FROM pragma_table_info('groups') ORDER BY name", r => r.GetString(0)));
        Assert.Equal(["device_id", "group_id", "leaf_index", "signature_key"],
            database.Query("SELECT name FROM pragma_table_info('group_members') ORDER BY name", r => r.GetString(0)));
        var (context, interim) = database.Query("SELECT group_context, interim_hash FROM groups WHERE group_id = $g",
            r => ((byte[])r[0], (byte[])r[1]), ("$g", groupId)).Single();
        // The context is what every member signs over and what the committer's GroupInfo published: group id, epoch, hashes.
        GroupContext kept = TlsReader.Decode(context, GroupContext.Decode);
        Assert.Equal(group.Id, kept.GroupId);
        Assert.Equal(1ul, kept.Epoch);
        Assert.Empty(kept.Extensions);
        Assert.Equal(TestMls.Suite.HashLength, kept.ConfirmedTranscriptHash.Length);
        Assert.Equal(TestMls.Suite.HashLength, interim.Length);
        // Each leaf's key is the public key its device registered (also in the devices table), nothing else.
        var keys = database.Query("SELECT device_id, signature_key FROM group_members WHERE group_id = $g ORDER BY leaf_index",
            r => (r.GetString(0), Convert.ToHexString((byte[])r[1])), ("$g", groupId));
        Assert.Equal([(alice.Device.Id, Convert.ToHexString(alice.Device.SignatureKey.PublicKey)),
            (bob.Device.Id, Convert.ToHexString(bob.Device.SignatureKey.PublicKey))], keys);
    }

    private async Task<(TestUser Alice, TestUser Bob, TestGroup Group)> PairAsync()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await bob.Device.UploadKeyPackagesAsync(1);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);
        await group.AddAsync(alice.Device, bob);
        await TestMailbox.ReadAsync(alice.Device);
        return (alice, bob, group);
    }

    // The message signed as TestGroup signs it, but with another device's key.
    private static byte[] Resigned(TestGroup group, TestDevice signer, byte[] message) => group.SignAs(signer, message);

    private static string GroupIdText(byte[] id) => Parley.Server.Groups.GroupId.FromBytes(id).Value;

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
