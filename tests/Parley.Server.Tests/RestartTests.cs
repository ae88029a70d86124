using System.Net.Http.Json;

namespace Parley.Server.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Accepted_messages_accounts_and_groups_survive_a_restart()
    {
        string directory;
        string bobCredential;
        string groupId;
        string aliceCredential;
        byte[] sent;
        await using (var first = new ServerFactory { KeepData = true })
        {
            directory = first.DataDirectory;
            TestUser alice = await TestUser.RegisterAsync(first);
            TestUser bob = await TestUser.RegisterAsync(first);
            await bob.Device.UploadKeyPackagesAsync(1);
            TestGroup group = await TestGroup.CreateAsync(alice.Device);
            await group.AddAsync(alice.Device, bob);
            sent = TestMls.Application(group.Id, 1);
            await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, sent, id: "before-restart"));
            bobCredential = bob.Device.Credential;
            aliceCredential = alice.Device.Credential;
            groupId = group.IdText;
        }

        await using var second = new ServerFactory(directory);
        using HttpClient bobClient = TestHttp.Authenticated(second, bobCredential);
        var mailbox = (await bobClient.GetFromJsonAsync<Parley.Server.Mailboxes.MailboxResponse>("/v1/mailbox", TestHttp.Json))!;
        Assert.Equal(2, mailbox.Messages.Count);
        Assert.Equal("before-restart", mailbox.Messages[1].Id);
        Assert.Equal(sent, mailbox.Messages[1].Message);

        using HttpClient aliceClient = TestHttp.Authenticated(second, aliceCredential);
        var roster = (await aliceClient.GetFromJsonAsync<Parley.Server.Groups.GroupResponse>($"/v1/groups/{groupId}", TestHttp.Json))!;
        Assert.Equal(1UL, roster.Epoch);
        Assert.Equal(2, roster.Members.Count);

        // The idempotency record survives too: a retry after the restart is not delivered twice.
        using var retry = await aliceClient.PostAsJsonAsync($"/v1/groups/{groupId}/messages", new { id = "before-restart", message = sent });
        Assert.True((await retry.Content.ReadFromJsonAsync<Parley.Server.Delivery.SendResponse>(TestHttp.Json))!.Repeated);
    }
}
