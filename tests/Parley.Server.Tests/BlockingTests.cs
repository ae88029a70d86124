using System.Net;
using System.Net.Http.Json;
using Parley.Server.Blocking;

namespace Parley.Server.Tests;

public sealed class BlockingTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_blocked_users_one_to_one_messages_are_accepted_but_not_delivered_until_unblocked()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2, devicesPerUser: 2);
        TestUser alice = users[0], bob = users[1];
        await BlockAsync(bob.Devices[1], alice.Username);

        using var sent = await group.SendAsync(alice.Device, TestFranking.Text(group, "are you there?").Message, id: "blocked-1");
        using var commit = await group.SendAsync(alice.Device, TestMls.Commit(group.Id, group.Epoch, 0), id: "blocked-commit");

        // Alice cannot tell: both are accepted. Bob's devices get the commit, which keeps their group state
        // current, but not the message.
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, commit.StatusCode);
        group.Epoch++;
        foreach (TestDevice device in bob.Devices)
        {
            Assert.Equal("blocked-commit", Assert.Single(await TestMailbox.ReadAsync(device)).Id);
        }
        await TestConversation.DrainAsync(bob);
        // Bob's messages still reach Alice: blocking is one-way.
        await TestHttp.EnsureAsync(await group.SendAsync(bob.Device, TestFranking.Text(group, "stop").Message, id: "from-bob"));
        Assert.Equal("from-bob", Assert.Single(await TestMailbox.ReadAsync(alice.Device)).Id);
        await TestConversation.DrainAsync(bob);

        await UnblockAsync(bob.Device, alice.Username);
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestFranking.Text(group, "sorry").Message, id: "after"));
        foreach (TestDevice device in bob.Devices)
        {
            Assert.Equal("after", Assert.Single(await TestMailbox.ReadAsync(device)).Id);
        }
    }

    [Fact]
    public async Task A_blocked_users_welcome_is_not_delivered()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        await bob.Device.UploadKeyPackagesAsync(1);
        TestGroup group = await TestGroup.CreateAsync(alice.Device);
        // Alice claimed Bob's key package before he blocked her (once blocked, her claims find none).
        var claimed = await TestGroup.ClaimAsync(alice.Device, bob);
        await BlockAsync(bob.Device, alice.Username);

        // The commit and Welcome are accepted (the roster now holds Bob's device) but the invitation never arrives.
        await group.AddClaimedAsync(alice.Device, claimed);

        Assert.Empty(await TestMailbox.ReadAsync(bob.Device));
        Assert.Equal(2, (await group.GetAsync(alice.Device)).Members.Count);
    }

    [Fact]
    public async Task A_blocked_users_messages_in_a_larger_group_are_still_delivered()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 3);
        TestUser alice = users[0], bob = users[1], carol = users[2];
        await BlockAsync(bob.Device, alice.Username);

        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestFranking.Text(group, "hi all").Message, id: "group-1"));

        // The server cannot hide a group member's messages without hiding the group; Bob's client hides them.
        Assert.Equal("group-1", Assert.Single(await TestMailbox.ReadAsync(bob.Device)).Id);
        Assert.Equal("group-1", Assert.Single(await TestMailbox.ReadAsync(carol.Device)).Id);
    }

    [Fact]
    public async Task A_user_who_blocked_nobody_gets_everything()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        TestUser carol = await TestUser.RegisterAsync(_server);
        // Carol blocking Alice changes nothing between Alice and Bob.
        await BlockAsync(carol.Device, users[0].Username);

        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestFranking.Text(group, "hi").Message, id: "m"));

        Assert.Equal("m", Assert.Single(await TestMailbox.ReadAsync(users[1].Device)).Id);
    }

    [Fact]
    public async Task The_block_list_is_per_account_and_refuses_unknown_users_and_oneself()
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        TestUser bob = await TestUser.RegisterAsync(_server);
        TestUser carol = await TestUser.RegisterAsync(_server);
        TestDevice bobLaptop = await bob.AddDeviceAsync(_server);

        await BlockAsync(bob.Device, carol.Username);
        await BlockAsync(bob.Device, alice.Username);
        await BlockAsync(bob.Device, alice.Username);

        string[] expected = [alice.Username, carol.Username];
        Array.Sort(expected, StringComparer.Ordinal);
        Assert.Equal(expected, await ListAsync(bobLaptop));
        Assert.Empty(await ListAsync(alice.Device));

        using var unknown = await bob.Device.Client.PutAsync("/v1/blocks/nobody-here", null);
        Assert.Equal((404, "account_not_found"), Short(await TestHttp.ProblemAsync(unknown)));
        using var invalid = await bob.Device.Client.PutAsync("/v1/blocks/NO!", null);
        Assert.Equal((400, "invalid_username"), Short(await TestHttp.ProblemAsync(invalid)));
        using var self = await bob.Device.Client.PutAsync($"/v1/blocks/{bob.Username}", null);
        Assert.Equal((400, "malformed_request"), Short(await TestHttp.ProblemAsync(self)));
        using var anonymous = await _server.CreateClient().GetAsync("/v1/blocks");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await UnblockAsync(bobLaptop, carol.Username);
        await UnblockAsync(bobLaptop, carol.Username);
        Assert.Equal([alice.Username], await ListAsync(bob.Device));
    }

    private static async Task BlockAsync(TestDevice device, string username)
    {
        using var response = await device.Client.PutAsync($"/v1/blocks/{username}", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static async Task UnblockAsync(TestDevice device, string username)
    {
        using var response = await device.Client.DeleteAsync($"/v1/blocks/{username}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static async Task<IReadOnlyList<string>> ListAsync(TestDevice device)
        => (await device.Client.GetFromJsonAsync<BlockListResponse>("/v1/blocks", TestHttp.Json))!.Blocked;

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement _) problem) => (problem.Status, problem.Code);
}
