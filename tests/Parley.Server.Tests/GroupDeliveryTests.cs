using System.Net;
using System.Net.Http.Json;
using Parley.Mls.Messages;
using Parley.Mls.Tree;
using Parley.Server.Delivery;
using Parley.Server.Groups;

namespace Parley.Server.Tests;

public sealed class GroupDeliveryTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Adding_a_user_updates_the_roster_and_delivers_the_welcome_to_each_of_their_devices()
    {
        var (alice, bob, group) = await AliceAndBobAsync(bobDevices: 2);

        var roster = await group.GetAsync(alice.Device);
        Assert.Equal(1UL, roster.Epoch);
        Assert.Equal([alice.Device.Id, bob.Devices[0].Id, bob.Devices[1].Id], roster.Members.Select(m => m.DeviceId));
        Assert.Equal([0u, 1u, 2u], roster.Members.Select(m => m.Leaf));
        foreach (TestDevice device in bob.Devices)
        {
            var mail = Assert.Single(await TestMailbox.ReadAsync(device));
            Assert.Equal(WireFormat.MlsWelcome, TestMailbox.WireFormatOf(mail));
        }
        Assert.Empty(await TestMailbox.ReadAsync(alice.Device));
    }

    [Fact]
    public async Task A_commit_for_a_stale_epoch_is_rejected_with_the_current_epoch()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        using var first = await group.SendAsync(alice.Device, TestMls.Commit(group.Id, 1, 0));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var stale = await group.SendAsync(bob.Device, TestMls.Commit(group.Id, 1, 1));

        var (status, code, body) = await TestHttp.ProblemAsync(stale);
        Assert.Equal((409, "stale_epoch"), (status, code));
        Assert.Equal(2, body.GetProperty("epoch").GetInt32());
    }

    [Fact]
    public async Task Of_concurrent_commits_for_one_epoch_exactly_one_wins()
    {
        var (alice, bob, group) = await AliceAndBobAsync(bobDevices: 3);
        TestDevice[] committers = [alice.Device, .. bob.Devices];

        var responses = await Task.WhenAll(committers.Select(d => group.SendAsync(d, TestMls.Commit(group.Id, 1, group.Leaves[d.Id]))));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(2UL, (await group.GetAsync(alice.Device)).Epoch);
    }

    [Fact]
    public async Task An_application_message_goes_to_every_member_device_except_the_sender()
    {
        var (alice, bob, group) = await AliceAndBobAsync(bobDevices: 2);
        TestDevice alicePhone = await alice.AddDeviceAsync(_server);
        await alicePhone.UploadKeyPackagesAsync(1);
        await AddDeviceAsync(group, alice.Device, alicePhone);
        await DrainAsync(alice.Devices.Concat(bob.Devices));

        using var sent = await group.SendAsync(bob.Devices[0], TestMls.Application(group.Id, group.Epoch), id: "hello-1");
        await TestHttp.EnsureAsync(sent);

        Assert.Equal("hello-1", Assert.Single(await TestMailbox.ReadAsync(alice.Device)).Id);
        Assert.Single(await TestMailbox.ReadAsync(alicePhone));
        Assert.Single(await TestMailbox.ReadAsync(bob.Devices[1]));
        Assert.Empty(await TestMailbox.ReadAsync(bob.Devices[0]));
    }

    [Fact]
    public async Task Only_members_may_send_to_a_group()
    {
        var (_, _, group) = await AliceAndBobAsync();
        TestUser mallory = await TestUser.RegisterAsync(_server);

        using var application = await group.SendAsync(mallory.Device, TestMls.Application(group.Id, 1));
        using var commit = await group.SendAsync(mallory.Device, TestMls.Commit(group.Id, 1, 0));

        // A non-member is answered exactly as for a group that does not exist (docs/security.md).
        Assert.Equal((404, "group_not_found"), Short(await TestHttp.ProblemAsync(application)));
        Assert.Equal((404, "group_not_found"), Short(await TestHttp.ProblemAsync(commit)));
        using var roster = await mallory.Device.Client.GetAsync($"/v1/groups/{group.IdText}");
        Assert.Equal((404, "group_not_found"), Short(await TestHttp.ProblemAsync(roster)));
    }

    [Fact]
    public async Task A_non_member_gets_to_the_byte_the_answer_for_a_group_that_does_not_exist()
    {
        var (_, _, group) = await AliceAndBobAsync();
        TestUser mallory = await TestUser.RegisterAsync(_server);
        byte[] absentId = TestMls.NewGroupId();
        string absent = GroupId.FromBytes(absentId).Value;

        foreach (var (existing, missing) in new[]
        {
            (TestMls.Application(group.Id, group.Epoch), TestMls.Application(absentId, group.Epoch)),
            (TestMls.Application(group.Id, 0), TestMls.Application(absentId, 0)),
            (new MlsMessage(TestMls.ProposalMessage(group.Id, group.Epoch, 0, new Remove(new LeafIndex(1)))).ToBytesPublic(),
                new MlsMessage(TestMls.ProposalMessage(absentId, group.Epoch, 0, new Remove(new LeafIndex(1)))).ToBytesPublic()),
        })
        {
            using var toExisting = await mallory.Device.Client.PostAsJsonAsync($"/v1/groups/{group.IdText}/messages",
                new { id = "probe", message = existing });
            using var toMissing = await mallory.Device.Client.PostAsJsonAsync($"/v1/groups/{absent}/messages",
                new { id = "probe", message = missing });

            Assert.Equal(toMissing.StatusCode, toExisting.StatusCode);
            Assert.Equal(toMissing.Content.Headers.ContentType, toExisting.Content.Headers.ContentType);
            Assert.Equal(WithoutTraceId(await toMissing.Content.ReadAsStringAsync()), WithoutTraceId(await toExisting.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task A_member_cannot_send_as_another_members_leaf()
    {
        var (_, bob, group) = await AliceAndBobAsync();

        using var response = await group.SendAsync(bob.Device, TestMls.Commit(group.Id, 1, senderLeaf: 0));

        Assert.Equal((422, "invalid_commit"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_remove_commit_takes_the_device_off_the_roster_and_it_gets_the_commit_once_more()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        await DrainAsync([bob.Device]);

        using var removed = await group.SendAsync(alice.Device, TestMls.Commit(group.Id, 1, 0, new Remove(new LeafIndex(1))));
        await TestHttp.EnsureAsync(removed);

        var roster = await group.GetAsync(alice.Device);
        Assert.Equal([alice.Device.Id], roster.Members.Select(m => m.DeviceId));
        Assert.Equal(WireFormat.MlsPublicMessage, TestMailbox.WireFormatOf(Assert.Single(await TestMailbox.ReadAsync(bob.Device))));
        using var after = await group.SendAsync(bob.Device, TestMls.Application(group.Id, 2));
        Assert.Equal("group_not_found", (await TestHttp.ProblemAsync(after)).Code);
    }

    [Fact]
    public async Task Adds_fill_the_leftmost_blank_leaf()
    {
        var (alice, bob, group) = await AliceAndBobAsync(bobDevices: 2);
        using var removed = await group.SendAsync(alice.Device, TestMls.Commit(group.Id, 1, 0, new Remove(new LeafIndex(1))));
        await TestHttp.EnsureAsync(removed);
        group.Epoch = 2;
        TestUser carol = await TestUser.RegisterAsync(_server);
        await carol.Device.UploadKeyPackagesAsync(1);

        await group.AddAsync(alice.Device, carol);

        var roster = await group.GetAsync(alice.Device);
        Assert.Equal(carol.Device.Id, roster.Members.Single(m => m.Leaf == 1).DeviceId);
        Assert.Equal(bob.Devices[1].Id, roster.Members.Single(m => m.Leaf == 2).DeviceId);
    }

    [Fact]
    public async Task A_commit_by_reference_applies_the_proposals_relayed_in_its_epoch()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        PublicMessage proposal = TestMls.ProposalMessage(group.Id, 1, 1, new Remove(new LeafIndex(1)));
        using var proposed = await group.SendAsync(bob.Device, new MlsMessage(proposal).ToBytesPublic());
        await TestHttp.EnsureAsync(proposed);
        byte[] reference = group.LastSentRef();

        byte[] commit = new MlsMessage(TestMls.CommitMessage(group.Id, 1, Sender.Member(new LeafIndex(0)),
            new Commit([new ProposalOrRef(reference)], null))).ToBytesPublic();
        using var committed = await group.SendAsync(alice.Device, commit);
        await TestHttp.EnsureAsync(committed);

        Assert.Equal([alice.Device.Id], (await group.GetAsync(alice.Device)).Members.Select(m => m.DeviceId));
    }

    [Fact]
    public async Task Adding_an_unknown_device_is_refused()
    {
        var (alice, _, group) = await AliceAndBobAsync();
        var stranger = TestUser.Suite.GenerateSignatureKeyPair();
        string strangerId = Parley.Server.Devices.DeviceId.FromSignatureKey(stranger.PublicKey).Value;

        using var response = await group.SendAsync(alice.Device,
            TestMls.Commit(group.Id, 1, 0, new Add(TestMls.KeyPackageRecord(strangerId, stranger))));

        Assert.Equal((422, "unknown_device"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task A_retried_message_id_is_delivered_once_even_after_acknowledgement()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        await DrainAsync([bob.Device]);
        byte[] message = TestMls.Application(group.Id, 1);

        using var first = await group.SendAsync(alice.Device, message, id: "retry-me");
        var firstBody = (await first.Content.ReadFromJsonAsync<SendResponse>(TestHttp.Json))!;
        using var again = await group.SendAsync(alice.Device, message, id: "retry-me");
        var againBody = (await again.Content.ReadFromJsonAsync<SendResponse>(TestHttp.Json))!;
        Assert.False(firstBody.Repeated);
        Assert.True(againBody.Repeated);
        Assert.Single(await TestMailbox.ReadAsync(bob.Device));

        await TestMailbox.AckAsync(bob.Device, "retry-me");
        using var late = await group.SendAsync(alice.Device, message, id: "retry-me");
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task A_retried_commit_is_accepted_again_instead_of_stale()
    {
        var (alice, _, group) = await AliceAndBobAsync();
        byte[] commit = TestMls.Commit(group.Id, 1, 0);

        using var first = await group.SendAsync(alice.Device, commit, id: "commit-1");
        using var retry = await group.SendAsync(alice.Device, commit, id: "commit-1");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(2UL, (await retry.Content.ReadFromJsonAsync<SendResponse>(TestHttp.Json))!.Epoch);
    }

    [Fact]
    public async Task Handshake_messages_must_be_public_and_application_messages_private()
    {
        var (alice, _, group) = await AliceAndBobAsync();
        byte[] privateCommit = new MlsMessage(new PrivateMessage(group.Id, 1, ContentType.Commit, [], new byte[40], new byte[80])).ToBytesPublic();
        byte[] publicApplication = new MlsMessage(new PublicMessage(
            FramedContent.ForApplication(group.Id, 1, Sender.Member(new LeafIndex(0)), [], [1, 2, 3]),
            new FramedContentAuthData(new byte[64], null), new byte[32])).ToBytesPublic();

        using var a = await group.SendAsync(alice.Device, privateCommit);
        using var b = await group.SendAsync(alice.Device, publicApplication);
        using var c = await group.SendAsync(alice.Device, alice.Device.NewKeyPackage());

        Assert.Equal((422, "handshake_must_be_public"), Short(await TestHttp.ProblemAsync(a)));
        Assert.Equal((422, "application_must_be_private"), Short(await TestHttp.ProblemAsync(b)));
        Assert.Equal((422, "unsupported_wire_format"), Short(await TestHttp.ProblemAsync(c)));
    }

    [Fact]
    public async Task Malformed_or_misaddressed_messages_are_refused()
    {
        var (alice, _, group) = await AliceAndBobAsync();

        using var garbage = await group.SendAsync(alice.Device, [0, 1, 0, 2, 9, 9]);
        using var elsewhere = await group.SendAsync(alice.Device, TestMls.Application(TestMls.NewGroupId(), 1));
        using var badId = await group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: "no spaces/allowed");
        using var noGroup = await alice.Device.Client.PostAsJsonAsync($"/v1/groups/{TestGroupIds.Unknown}/messages",
            new { id = "x", message = TestMls.Application(Convert.FromBase64String("AAAA"), 1) });

        Assert.Equal((400, "malformed_mls_message"), Short(await TestHttp.ProblemAsync(garbage)));
        Assert.Equal((400, "group_mismatch"), Short(await TestHttp.ProblemAsync(elsewhere)));
        Assert.Equal((400, "invalid_message_id"), Short(await TestHttp.ProblemAsync(badId)));
        Assert.Equal((404, "group_not_found"), Short(await TestHttp.ProblemAsync(noGroup)));
    }

    [Fact]
    public async Task Concurrent_sends_are_all_stored_with_none_lost_or_doubled()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        await DrainAsync([bob.Device]);

        var sends = Enumerable.Range(0, 100).Select(i => group.SendAsync(alice.Device, TestMls.Application(group.Id, 1), id: $"m{i}"));
        var responses = await Task.WhenAll(sends);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        using var page = await bob.Device.Client.GetAsync("/v1/mailbox?limit=500");
        var mail = (await page.Content.ReadFromJsonAsync<Parley.Server.Mailboxes.MailboxResponse>(TestHttp.Json))!.Messages;
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"m{i}").Order(), mail.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task A_group_id_cannot_be_registered_twice()
    {
        var (alice, bob, group) = await AliceAndBobAsync();

        using var response = await bob.Device.Client.PostAsJsonAsync("/v1/groups",
            new { groupId = group.IdText, cipherSuite = 1, groupInfo = TestGroup.Genesis(bob.Device, group.Id).Message });

        Assert.Equal((409, "group_exists"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Equal(alice.Device.Id, (await group.GetAsync(alice.Device)).Members[0].DeviceId);
    }

    internal Task<(TestUser Alice, TestUser Bob, TestGroup Group)> AliceAndBobAsync(int bobDevices = 1)
        => TestConversation.AliceAndBobAsync(_server, bobDevices);

    private static async Task AddDeviceAsync(TestGroup group, TestDevice committer, TestDevice joiner)
    {
        var package = TestMls.DecodeKeyPackage(joiner.NewKeyPackage());
        using var response = await group.SendAsync(committer, TestMls.Commit(group.Id, group.Epoch, group.Leaves[committer.Id], new Add(package)),
            TestMls.Welcome(package));
        await TestHttp.EnsureAsync(response);
        group.Leaves[joiner.Id] = (uint)group.Leaves.Count;
        group.Epoch++;
    }

    private static async Task DrainAsync(IEnumerable<TestDevice> devices)
    {
        foreach (TestDevice device in devices)
        {
            foreach (var entry in await TestMailbox.ReadAsync(device))
            {
                await TestMailbox.AckAsync(device, entry.Id);
            }
        }
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);

    // Trace ids differ per request by design; everything else of the two answers must be the same.
    private static string WithoutTraceId(string problem) => System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", "");
}

internal static class TestGroupIds
{
    public const string Unknown = "AAAA";
}

internal static class MlsBytes
{
    public static byte[] ToBytesPublic(this MlsMessage message) => Parley.Mls.Codec.MlsEncodableExtensions.ToBytes(message);
}
