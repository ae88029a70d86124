using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Framing;
using Parley.Mls.Messages;
using Parley.Mls.Crypto;
using Parley.Mls.Tree;
using Parley.Server.Channels;
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

    /// <summary>A fresh group id the server has never seen, for requests about a missing group.</summary>
    public static TestGroup Unregistered() => new(TestMls.NewGroupId());

    public static async Task<TestGroup> CreateAsync(TestDevice creator, IReadOnlyList<Extension>? extensions = null)
    {
        var group = new TestGroup(TestMls.NewGroupId());
        var (signer, genesis) = GroupSigner.Create(group.Id, creator.SignatureKey, extensions);
        byte[] seed = SealedSender.NewSeed();
        using var response = await creator.Client.PostAsJsonAsync("/v1/groups",
            new { groupId = group.IdText, cipherSuite = 1, groupInfo = genesis, deliveryKey = SealedSender.DeliveryKey(seed) });
        group.DeliverySeeds[0] = seed;
        await TestHttp.EnsureAsync(response);
        group.Leaves[creator.Id] = 0;
        group._signer = signer;
        return group;
    }

    /// <summary>A group's epoch 0 GroupInfo as its creator signs it.</summary>
    public static (GroupInfo Info, byte[] Message) Genesis(TestDevice creator, byte[] groupId) => GroupSigner.Genesis(creator.SignatureKey, groupId);

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

    /// <summary>Sends <paramref name="message"/> as <paramref name="sender"/>. A member's commit or proposal is signed first, as a
    /// client signs it, with the sender's key over the group's context at its epoch (a commit that needs a path gets one, and
    /// carries the new epoch's GroupInfo), unless <paramref name="asIs"/>; an accepted commit's context is kept.</summary>
    public async Task<HttpResponseMessage> SendAsync(TestDevice sender, byte[] message, byte[]? welcome = null, string? id = null,
        bool asIs = false)
    {
        SignedHandshake? signed = asIs ? null : _signer?.TrySign(sender.Id, Pseudonyms.GetValueOrDefault(sender.Id) ?? sender.SignatureKey,
            Pseudonyms.ContainsKey(sender.Id), message);
        message = signed?.Message ?? message;
        LastSent = message;
        // A commit announces the delivery key of the epoch it starts, as a client's does.
        byte[]? nextSeed = signed?.GroupInfo is not null ? SealedSender.NewSeed() : null;
        var response = await sender.Client.PostAsJsonAsync($"/v1/groups/{IdText}/messages",
            new { id = id ?? Guid.NewGuid().ToString("N"), message, welcome, groupInfo = signed?.GroupInfo,
                deliveryKey = nextSeed is null ? null : SealedSender.DeliveryKey(nextSeed) });
        if (response.IsSuccessStatusCode && signed is not null)
        {
            _signer!.Accepted(signed);
        }
        if (response.IsSuccessStatusCode && nextSeed is not null)
        {
            DeliverySeeds[MlsMessage.Decode(message).PublicMessage!.Content.Epoch + 1] = nextSeed;
        }
        return response;
    }

    /// <summary>The seed of each epoch's delivery credential, as every member would derive it from the epoch's exporter.</summary>
    public Dictionary<ulong, byte[]> DeliverySeeds { get; } = [];

    /// <summary>Sends <paramref name="message"/> sealed over <paramref name="client"/> (no device credential needed), signed with
    /// the delivery credential of the message's epoch, or with <paramref name="seed"/>.</summary>
    public Task<HttpResponseMessage> SendSealedAsync(HttpClient client, byte[] message, string? id = null, byte[]? seed = null)
    {
        id ??= Guid.NewGuid().ToString("N");
        seed ??= DeliverySeeds[MlsMessage.Decode(message).PrivateMessage?.Epoch ?? Epoch];
        return client.PostAsJsonAsync($"/v1/groups/{IdText}/sealed",
            new { id, message, deliveryKey = SealedSender.DeliveryKey(seed), signature = SealedSender.Sign(seed, Id, id, message) });
    }

    private GroupSigner? _signer;

    /// <summary>Channel subscribers' pseudonym keys by device id: their leaves sign with these.</summary>
    public Dictionary<string, SignatureKeyPair> Pseudonyms { get; } = [];

    /// <summary>The last message sent, as sent (signed).</summary>
    public byte[]? LastSent { get; private set; }

    /// <summary>The ProposalRef of the last message sent, a proposal.</summary>
    public byte[] LastSentRef()
        => MlsMessage.Decode(LastSent!).PublicMessage!.ToAuthenticatedContent().MakeProposalRef(TestMls.Suite);

    /// <summary><paramref name="message"/>, a member's commit or proposal of the current epoch, signed with
    /// <paramref name="signer"/>'s key (for tests of what the server refuses).</summary>
    public byte[] SignAs(TestDevice signer, byte[] message) => _signer!.TrySign(signer.Id, signer.SignatureKey, false, message)!.Message;

    /// <summary>Sends an external commit by <paramref name="joiner"/> (its new leaf: the leftmost one free after the Removes), signed as its client would.</summary>
    public async Task<HttpResponseMessage> SendExternalAsync(TestDevice joiner, params Proposal[] proposals)
    {
        uint joinerLeaf = 0;
        var removed = proposals.OfType<Remove>().Select(r => r.Removed.Value).ToHashSet();
        while (Leaves.ContainsValue(joinerLeaf) && !removed.Contains(joinerLeaf))
        {
            joinerLeaf++;
        }
        var commit = new Commit([new ProposalOrRef(new ExternalInit(RandomNumberGenerator.GetBytes(32))), .. proposals.Select(p => new ProposalOrRef(p))],
            null);
        byte[] message = new MlsMessage(TestMls.CommitMessage(Id, Epoch, Sender.NewMemberCommit, commit)).ToBytes();
        SignedHandshake signed = _signer!.SignExternal(joiner.Id, joiner.SignatureKey, message, joinerLeaf);
        var response = await joiner.Client.PostAsJsonAsync($"/v1/groups/{IdText}/messages",
            new { id = Guid.NewGuid().ToString("N"), message = signed.Message, groupInfo = signed.GroupInfo });
        if (response.IsSuccessStatusCode)
        {
            _signer.Accepted(signed);
        }
        return response;
    }

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
