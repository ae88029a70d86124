using System.Net.Http.Json;
using System.Text.Json;
using Parley.Mls.Messages;
using Parley.Server.Groups;
using Parley.Server.KeyPackages;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

/// <summary>A group driven through the HTTP API as clients would drive it.</summary>
public sealed class TestGroup
{
    private TestGroup(byte[] id) => Id = id;

    public byte[] Id { get; }

    public string IdText => GroupId.FromBytes(Id).Value;

    public ulong Epoch { get; set; }

    /// <summary>Device id → leaf, as the clients track it.</summary>
    public Dictionary<string, uint> Leaves { get; } = [];

    public static async Task<TestGroup> CreateAsync(TestDevice creator)
    {
        var group = new TestGroup(TestMls.NewGroupId());
        using var response = await creator.Client.PostAsJsonAsync("/v1/groups", new { groupId = group.IdText, cipherSuite = 1 });
        await TestHttp.EnsureAsync(response);
        group.Leaves[creator.Id] = 0;
        return group;
    }

    /// <summary>Claims key packages of <paramref name="user"/>'s devices and commits their Adds with a Welcome.</summary>
    public async Task AddAsync(TestDevice committer, TestUser user) => await AddClaimedAsync(committer, await ClaimAsync(committer, user));

    /// <summary>Claims one key package of each of <paramref name="user"/>'s devices, as <paramref name="committer"/>.</summary>
    public static async Task<ClaimKeyPackagesResponse> ClaimAsync(TestDevice committer, TestUser user)
    {
        using var claim = await committer.Client.PostAsync($"/v1/accounts/{user.Username}/keypackages/claim", null);
        await TestHttp.EnsureAsync(claim);
        return (await claim.Content.ReadFromJsonAsync<ClaimKeyPackagesResponse>(TestHttp.Json))!;
    }

    /// <summary>Commits Adds of key packages claimed earlier, with a Welcome.</summary>
    public async Task AddClaimedAsync(TestDevice committer, ClaimKeyPackagesResponse claimed)
    {
        KeyPackage[] packages = claimed.KeyPackages.Select(k => TestMls.DecodeKeyPackage(k.KeyPackage)).ToArray();
        byte[] commit = TestMls.Commit(Id, Epoch, Leaves[committer.Id], packages.Select(p => (Proposal)new Add(p)).ToArray());
        using var response = await SendAsync(committer, commit, TestMls.Welcome(packages));
        await TestHttp.EnsureAsync(response);
        foreach (var entry in claimed.KeyPackages)
        {
            uint leaf = 0;
            while (Leaves.ContainsValue(leaf))
            {
                leaf++;
            }
            Leaves[entry.DeviceId] = leaf;
        }
        Epoch++;
    }

    public Task<HttpResponseMessage> SendAsync(TestDevice sender, byte[] message, byte[]? welcome = null, string? id = null)
        => sender.Client.PostAsJsonAsync($"/v1/groups/{IdText}/messages",
            new { id = id ?? Guid.NewGuid().ToString("N"), message, welcome });

    public async Task<GroupResponse> GetAsync(TestDevice device)
    {
        using var response = await device.Client.GetAsync($"/v1/groups/{IdText}");
        await TestHttp.EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<GroupResponse>(TestHttp.Json))!;
    }
}

/// <summary>Mailbox helpers.</summary>
public static class TestMailbox
{
    public static async Task<IReadOnlyList<MailboxEntry>> ReadAsync(TestDevice device)
    {
        using var response = await device.Client.GetAsync("/v1/mailbox");
        await TestHttp.EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<MailboxResponse>(TestHttp.Json))!.Messages;
    }

    public static async Task AckAsync(TestDevice device, string id)
    {
        using var response = await device.Client.DeleteAsync($"/v1/mailbox/{id}");
        await TestHttp.EnsureAsync(response);
    }

    public static WireFormat WireFormatOf(MailboxEntry entry) => MlsMessage.Decode(entry.Message).WireFormat;

    public static string Describe(JsonElement element) => element.GetRawText();
}
