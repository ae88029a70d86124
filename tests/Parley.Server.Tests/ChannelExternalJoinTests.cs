using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Parley.Mls.Codec;
using Parley.Mls.Crypto;
using Parley.Mls.Group;
using Parley.Mls.Messages;
using Parley.Server.Channels;
using Parley.Server.Groups;
using Parley.Server.Mailboxes;

namespace Parley.Server.Tests;

/// <summary>Joining a private channel through an invite without approval by external commit, with no admin online
/// (docs/channels.md, "Joining without an admin"): the admin's commits leave a joinable GroupInfo on the server, which it
/// serves to holders of a live open invite; the joiner's anonymous queue commits itself in with a fresh pseudonymous leaf.
/// Real MLS groups on both sides.</summary>
public sealed class ChannelExternalJoinTests : IAsyncLifetime
{
    private static readonly Capabilities ChannelCapabilities = new([1], [1], [ChannelExtension.Type], [], [CredentialType.Basic]);

    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_queue_joins_through_an_open_invite_by_external_commit_and_receives_the_next_post()
    {
        var (alice, admin, groupId) = await ChannelAsync(joinable: true);
        string token = await InviteAsync(alice, groupId, approval: false);
        TestUser carol = await TestUser.RegisterAsync(_server);
        TestDevice queue = TestDevice.Queue(_server, carol);

        var (joiner, commit) = JoinFrom(await GroupInfoAsync(queue, token), queue.SignatureKey);
        using var joined = await JoinAsync(queue, token, commit, joiner);
        await TestHttp.EnsureAsync(joined);

        // The admin's device was offline: the commit waits in its mailbox, and it accepts the new leaf.
        var waiting = Assert.Single(await TestMailbox.ReadAsync(alice.Device));
        Assert.IsType<CommitMessage>(admin.ProcessMessage(MlsMessage.Decode(waiting.Message)));
        Assert.Equal(joiner.Epoch, admin.Epoch);
        byte[] post = admin.EncryptApplicationMessage("first post"u8).ToBytes();
        using var posted = await alice.Device.Client.PostAsJsonAsync($"/v1/groups/{Url(groupId)}/messages", new { id = "post-1", message = post });
        await TestHttp.EnsureAsync(posted);

        MailboxEntry delivered = Assert.Single(await TestMailbox.ReadAsync(queue), m => m.Id == "post-1");
        var received = Assert.IsType<ApplicationMessage>(joiner.ProcessMessage(MlsMessage.Decode(delivered.Message)));
        Assert.Equal("first post", Encoding.UTF8.GetString(received.Data));
        Assert.Empty(await TestMailbox.ReadAsync(carol.Device));
        ChannelResponse info = (await alice.Device.Client.GetFromJsonAsync<ChannelResponse>($"/v1/channels/{Url(groupId)}", TestHttp.Json))!;
        Assert.Equal(1, info.Subscribers);
        // The joiner's commit brought the next joinable GroupInfo, so the next joiner needs no admin either.
        var (next, nextCommit) = JoinFrom(await GroupInfoAsync(TestDevice.Queue(_server, carol), token), TestMls.Suite.GenerateSignatureKeyPair());
        TestDevice second = TestDevice.Queue(_server, carol);
        using var secondJoin = await JoinAsync(second, token, nextCommit, next);
        await TestHttp.EnsureAsync(secondJoin);
        foreach (var group in new[] { admin, joiner, next })
        {
            group.Dispose();
        }
    }

    [Fact]
    public async Task Joining_at_once_is_refused_without_a_live_open_invite_a_joinable_state_or_a_fresh_pseudonymous_leaf()
    {
        var (alice, admin, groupId) = await ChannelAsync(joinable: false);
        string open = await InviteAsync(alice, groupId, approval: false);
        string approval = await InviteAsync(alice, groupId, approval: true);
        TestUser carol = await TestUser.RegisterAsync(_server);
        TestDevice queue = TestDevice.Queue(_server, carol);

        // Before any commit with a tree and external_pub, there is nothing to join from.
        using var unavailable = await queue.Client.GetAsync($"/v1/invites/{open}/group-info");
        Assert.Equal((404, "group_info_unavailable"), Short(await TestHttp.ProblemAsync(unavailable)));
        await CommitJoinableAsync(alice, admin, groupId);

        using var needsApproval = await queue.Client.GetAsync($"/v1/invites/{approval}/group-info");
        using var unknown = await queue.Client.GetAsync($"/v1/invites/{InviteToken.New()}/group-info");
        Assert.Equal((403, "invite_needs_approval"), Short(await TestHttp.ProblemAsync(needsApproval)));
        Assert.Equal((404, "invite_not_found"), Short(await TestHttp.ProblemAsync(unknown)));

        GroupInfo info = await GroupInfoAsync(queue, open);
        var (viaApproval, approvalCommit) = JoinFrom(info, queue.SignatureKey);
        using var throughApproval = await JoinAsync(queue, approval, approvalCommit, viaApproval);
        Assert.Equal((403, "invite_needs_approval"), Short(await TestHttp.ProblemAsync(throughApproval)));

        // A leaf that names a device, or a pseudonym of a registered device's key, would tie the subscriber to its device.
        var (named, namedCommit) = JoinFrom(info, carol.Device.SignatureKey, Credential.Basic(Encoding.ASCII.GetBytes(carol.Device.Id)));
        using var namedJoin = await JoinAsync(queue, open, namedCommit, named);
        Assert.Equal((422, "invalid_commit"), Short(await TestHttp.ProblemAsync(namedJoin)));
        var (deviceKey, deviceKeyCommit) = JoinFrom(info, carol.Device.SignatureKey);
        using var deviceKeyJoin = await JoinAsync(queue, open, deviceKeyCommit, deviceKey);
        Assert.Equal((422, "invalid_commit"), Short(await TestHttp.ProblemAsync(deviceKeyJoin)));

        var invites = (await alice.Device.Client.GetFromJsonAsync<InviteListResponse>($"/v1/channels/{Url(groupId)}/invites", TestHttp.Json))!;
        using var revoked = await alice.Device.Client.DeleteAsync($"/v1/channels/{Url(groupId)}/invites/{invites.Invites.Single(i => !i.Approval).InviteId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        var (late, lateCommit) = JoinFrom(info, queue.SignatureKey);
        using var throughRevoked = await JoinAsync(queue, open, lateCommit, late);
        Assert.Equal((404, "invite_not_found"), Short(await TestHttp.ProblemAsync(throughRevoked)));

        Assert.Empty(await TestMailbox.ReadAsync(alice.Device));
        ChannelResponse channel = (await alice.Device.Client.GetFromJsonAsync<ChannelResponse>($"/v1/channels/{Url(groupId)}", TestHttp.Json))!;
        Assert.Equal(0, channel.Subscribers);
        foreach (var group in new[] { admin, viaApproval, named, deviceKey, late })
        {
            group.Dispose();
        }
    }

    // A channel whose only member is Alice's device, built with real MLS; with joinable, her first commit leaves a joinable
    // GroupInfo on the server.
    private async Task<(TestUser Alice, MlsGroup Admin, byte[] GroupId)> ChannelAsync(bool joinable)
    {
        TestUser alice = await TestUser.RegisterAsync(_server);
        byte[] groupId = RandomNumberGenerator.GetBytes(16);
        var admin = MlsGroup.Create(TestMls.Suite, groupId, Credential.Basic(Encoding.ASCII.GetBytes(alice.Device.Id)), alice.Device.SignatureKey,
            [new Extension(ChannelExtension.Type, new ChannelExtension("news", [alice.Username]).Encode())], null, ChannelCapabilities);
        using var created = await alice.Device.Client.PostAsJsonAsync("/v1/groups", new
        {
            groupId = Url(groupId),
            cipherSuite = TestMls.Suite.Id,
            groupInfo = new MlsMessage(admin.CreateGroupInfo(includeRatchetTree: false, includeExternalPub: false)).ToBytes(),
        });
        await TestHttp.EnsureAsync(created);
        using var registered = await alice.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = Url(groupId) });
        await TestHttp.EnsureAsync(registered);
        if (joinable)
        {
            await CommitJoinableAsync(alice, admin, groupId);
        }
        return (alice, admin, groupId);
    }

    private static async Task CommitJoinableAsync(TestUser alice, MlsGroup admin, byte[] groupId)
    {
        CommitResult result = admin.Commit(new CommitOptions
        {
            ForcePath = true, CreateGroupInfo = true, RatchetTreeInGroupInfo = true, ExternalPubInGroupInfo = true,
        });
        using var sent = await alice.Device.Client.PostAsJsonAsync($"/v1/groups/{Url(groupId)}/messages", new
        {
            id = "commit-" + admin.Epoch,
            message = result.Commit.ToBytes(),
            groupInfo = result.GroupInfo!.ToBytes(),
        });
        await TestHttp.EnsureAsync(sent);
        admin.MergePendingCommit();
    }

    private static (MlsGroup Group, byte[] Commit) JoinFrom(GroupInfo info, SignatureKeyPair key, Credential? credential = null)
    {
        credential ??= Credential.Basic(PseudonymousCredential.IdentityFor(key.PublicKey));
        var (group, commit) = MlsGroup.JoinByExternalCommit(info, credential, key, null, new ExternalJoinOptions { Capabilities = ChannelCapabilities });
        return (group, commit.ToBytes());
    }

    private static async Task<GroupInfo> GroupInfoAsync(TestDevice queue, string token)
    {
        var response = (await queue.Client.GetFromJsonAsync<ChannelGroupInfoResponse>($"/v1/invites/{token}/group-info", TestHttp.Json))!;
        return MlsMessage.Decode(response.GroupInfo).GroupInfo!;
    }

    private static Task<HttpResponseMessage> JoinAsync(TestDevice queue, string token, byte[] commit, MlsGroup joiner)
        => queue.Client.PostAsJsonAsync($"/v1/invites/{token}/join", new
        {
            id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            message = commit,
            groupInfo = new MlsMessage(joiner.CreateGroupInfo(includeRatchetTree: true, includeExternalPub: true)).ToBytes(),
        });

    private static async Task<string> InviteAsync(TestUser admin, byte[] groupId, bool approval)
    {
        using var response = await admin.Device.Client.PostAsJsonAsync($"/v1/channels/{Url(groupId)}/invites", new { approval });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<InviteCreatedResponse>(TestHttp.Json))!.Token;
    }

    private static string Url(byte[] groupId) => GroupId.FromBytes(groupId).Value;

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement Body) problem) => (problem.Status, problem.Code);
}
