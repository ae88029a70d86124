using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Parley.Content;
using Parley.Server.Delivery;

namespace Parley.Server.Tests;

/// <summary>Sealed sending (docs/protocol.md, "Sealed sending"): application messages sent without a device credential,
/// signed by the epoch's delivery key, fanned out to every member device.</summary>
public sealed class SealedSendTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new(settings: new Dictionary<string, string?> { ["Parley:SealedSendsPerMinutePerCredential"] = "1000" });
    private HttpClient _anonymous = null!;

    public Task InitializeAsync()
    {
        _anonymous = _server.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _anonymous.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_sealed_message_reaches_every_member_device_the_senders_own_included()
    {
        var (alice, bob, group) = await AliceAndBobAsync(bobDevices: 2);

        using var sent = await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, group.Epoch), id: "sealed-1");

        await TestHttp.EnsureAsync(sent);
        var answer = (await sent.Content.ReadFromJsonAsync<SendResponse>(TestHttp.Json))!;
        Assert.Equal(("sealed-1", group.Epoch, false), (answer.Id, answer.Epoch, answer.Repeated));
        foreach (TestDevice device in alice.Devices.Concat(bob.Devices))
        {
            Assert.Equal("sealed-1", Assert.Single(await TestMailbox.ReadAsync(device)).Id);
        }
    }

    [Fact]
    public async Task A_repeated_sealed_send_is_answered_as_repeated_and_delivered_once()
    {
        var (_, bob, group) = await AliceAndBobAsync();
        byte[] message = TestMls.Application(group.Id, group.Epoch);

        using var first = await group.SendSealedAsync(_anonymous, message, id: "again");
        using var second = await group.SendSealedAsync(_anonymous, message, id: "again");

        await TestHttp.EnsureAsync(second);
        Assert.True((await second.Content.ReadFromJsonAsync<SendResponse>(TestHttp.Json))!.Repeated);
        Assert.Single(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task A_wrong_signature_a_foreign_key_and_a_missing_group_get_one_answer_and_store_nothing()
    {
        var (_, bob, group) = await AliceAndBobAsync();
        byte[] message = TestMls.Application(group.Id, group.Epoch);
        byte[] seed = group.DeliverySeeds[group.Epoch];

        using var forged = await _anonymous.PostAsJsonAsync($"/v1/groups/{group.IdText}/sealed",
            new { id = "forged", message, deliveryKey = SealedSender.DeliveryKey(seed), signature = new byte[64] });
        using var foreign = await group.SendSealedAsync(_anonymous, message, id: "foreign", seed: SealedSender.NewSeed());
        TestGroup missing = TestGroup.Unregistered();
        missing.DeliverySeeds[0] = SealedSender.NewSeed();
        using var nowhere = await missing.SendSealedAsync(_anonymous, TestMls.Application(missing.Id, 0), id: "nowhere");

        string[] bodies = [await forged.Content.ReadAsStringAsync(), await foreign.Content.ReadAsStringAsync(), await nowhere.Content.ReadAsStringAsync()];
        Assert.All([forged, foreign, nowhere], r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        Assert.Equal((403, "invalid_delivery_credential"), Short(await TestHttp.ProblemAsync(foreign)));
        Assert.Single(bodies.Select(WithoutTraceId).Distinct());
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task The_previous_epochs_credential_still_sends_and_an_older_one_is_refused()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        ulong first = group.Epoch;
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Commit(group.Id, group.Epoch, 0)));
        group.Epoch++;
        await DrainAsync(bob.Device);

        using var inFlight = await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, first), id: "in-flight");
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestMls.Commit(group.Id, group.Epoch, 0)));
        group.Epoch++;
        await DrainAsync(bob.Device);
        using var tooOld = await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, first), id: "too-old");

        await TestHttp.EnsureAsync(inFlight);
        Assert.Equal((403, "invalid_delivery_credential"), Short(await TestHttp.ProblemAsync(tooOld)));
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task A_commit_or_proposal_cannot_be_sent_sealed()
    {
        var (_, bob, group) = await AliceAndBobAsync();

        using var commit = await group.SendSealedAsync(_anonymous, TestMls.Commit(group.Id, group.Epoch, 0), seed: group.DeliverySeeds[group.Epoch]);
        using var garbage = await group.SendSealedAsync(_anonymous, [1, 2, 3], seed: group.DeliverySeeds[group.Epoch]);

        Assert.Equal((422, "not_sealable"), Short(await TestHttp.ProblemAsync(commit)));
        Assert.Equal((400, "malformed_mls_message"), Short(await TestHttp.ProblemAsync(garbage)));
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task An_oversized_sealed_message_is_refused()
    {
        var (_, bob, group) = await AliceAndBobAsync();

        using var response = await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, group.Epoch, size: new ParleyServerOptions().MaxMessageBytes + 16));

        Assert.Equal((413, "message_too_large"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
    }

    [Fact]
    public async Task A_commit_announcing_a_malformed_delivery_key_is_refused()
    {
        var (alice, _, group) = await AliceAndBobAsync();

        using var response = await alice.Device.Client.PostAsJsonAsync($"/v1/groups/{group.IdText}/messages",
            new { id = "bad-key", message = TestMls.Application(group.Id, group.Epoch), deliveryKey = new byte[31] });

        Assert.Equal((400, "invalid_delivery_key"), Short(await TestHttp.ProblemAsync(response)));
    }

    [Fact]
    public async Task In_a_blocked_one_to_one_nothing_sealed_reaches_the_blocker_and_the_sender_is_answered_as_usual()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        await TestHttp.EnsureAsync(await bob.Device.Client.PutAsync($"/v1/blocks/{alice.Username}", null));

        using var sent = await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, group.Epoch), id: "from-alice");

        await TestHttp.EnsureAsync(sent);
        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
        Assert.Equal("from-alice", Assert.Single(await TestMailbox.ReadAsync(alice.Device)).Id);
    }

    [Fact]
    public async Task A_block_in_a_larger_group_withholds_nothing_sealed()
    {
        var (alice, bob, group) = await AliceAndBobAsync();
        TestUser carol = await TestUser.RegisterAsync(_server);
        await carol.Device.UploadKeyPackagesAsync(1);
        await group.AddAsync(alice.Device, carol);
        await DrainAsync(bob.Device);
        await TestHttp.EnsureAsync(await bob.Device.Client.PutAsync($"/v1/blocks/{alice.Username}", null));

        await TestHttp.EnsureAsync(await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, group.Epoch), id: "to-all"));

        Assert.Equal("to-all", Assert.Single(await TestMailbox.ReadAsync(bob.Device)).Id);
    }

    [Fact]
    public async Task A_private_channel_takes_no_sealed_posts()
    {
        TestUser admin = await TestUser.RegisterAsync(_server);
        TestGroup channel = await TestGroup.CreateAsync(admin.Device);
        await TestHttp.EnsureAsync(await admin.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = channel.IdText }));

        using var response = await channel.SendSealedAsync(_anonymous, TestMls.Application(channel.Id, channel.Epoch));

        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Empty(await TestMailbox.ReadAsync(admin.Device));
    }

    [Fact]
    public async Task A_franked_sealed_message_is_stamped_without_a_sender()
    {
        var (_, bob, group) = await AliceAndBobAsync();
        var (_, message) = TestFranking.Text(group, "hello");

        await TestHttp.EnsureAsync(await group.SendSealedAsync(_anonymous, message, id: "franked"));

        var stamp = TestFranking.Open(_server, Assert.Single(await TestMailbox.ReadAsync(bob.Device)));
        Assert.True(stamp.SenderUnnamed);
        Assert.Equal("", stamp.SenderAccount.Value);
        Assert.Equal(bob.Device.Id, stamp.RecipientDevice.Value);
    }

    [Fact]
    public async Task The_send_record_of_a_sealed_message_names_no_device()
    {
        var (alice, _, group) = await AliceAndBobAsync();

        await TestHttp.EnsureAsync(await group.SendSealedAsync(_anonymous, TestMls.Application(group.Id, group.Epoch), id: "unnamed"));

        using var connection = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, "parley.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT send_key FROM accepted_sends";
        var keys = new List<byte[]>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                keys.Add((byte[])reader[0]);
            }
        }
        Assert.Contains(keys, k => k.AsSpan().SequenceEqual(Groups.GroupSubmission.SealedSendKeyOf(Groups.GroupId.FromBytes(group.Id), "unnamed")));
        Assert.DoesNotContain(keys, k => k.AsSpan().SequenceEqual(Groups.GroupSubmission.SendKeyOf(new Devices.DeviceId(alice.Device.Id), "unnamed")));
    }

    [Fact]
    public async Task Sealed_sends_count_against_their_credential()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:SealedSendsPerMinutePerCredential"] = "2" });
        using HttpClient anonymous = server.CreateClient();
        TestUser alice = await TestUser.RegisterAsync(server);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);

        var answers = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
        {
            using var response = await group.SendSealedAsync(anonymous, TestMls.Application(group.Id, group.Epoch));
            answers.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers);
    }

    [Fact]
    public async Task A_server_with_sealed_sending_off_refuses_sealed_sends()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:SealedSending"] = "false" });
        using HttpClient anonymous = server.CreateClient();
        TestUser alice = await TestUser.RegisterAsync(server);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);

        using var response = await group.SendSealedAsync(anonymous, TestMls.Application(group.Id, group.Epoch));

        Assert.Equal((403, "sealed_sending_disabled"), Short(await TestHttp.ProblemAsync(response)));
    }

    private async Task<(TestUser Alice, TestUser Bob, TestGroup Group)> AliceAndBobAsync(int bobDevices = 1)
    {
        var (alice, bob, group) = await TestConversation.AliceAndBobAsync(_server, bobDevices);
        await TestConversation.DrainAsync(alice, bob);
        return (alice, bob, group);
    }

    private static async Task DrainAsync(params TestDevice[] devices)
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

    private static string WithoutTraceId(string problem) => System.Text.RegularExpressions.Regex.Replace(problem, "\"traceId\":\"[^\"]*\"", "");
}
