// docs/security.md, "Authorization matrix": every HTTP and WebSocket operation of the server, sent by each of eight
// principals against a real world (AuthorizationWorld), with the answer the server must give.
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Parley.Server.Accounts;
using Parley.Server.Delivery;
using Xunit.Abstractions;

namespace Parley.Server.Tests;

/// <summary>The expected answer of one operation for each principal.</summary>
public sealed record Expectations(
    Answer Anonymous,
    Answer OtherAccount,
    Answer NonMemberDevice,
    Answer MemberDevice,
    Answer RevokedDevice,
    Answer SuspendedAccount,
    Answer BlockedAccount,
    Answer Operator,
    Answer? SubscriberQueue = null)
{
    /// <summary>What a channel subscriber queue gets where only a device of an account may act.</summary>
    public static readonly Answer DeviceRequired = new(403, "device_required");

    public Answer For(Principal principal) => principal switch
    {
        Principal.Anonymous => Anonymous,
        Principal.OtherAccount => OtherAccount,
        Principal.NonMemberDevice => NonMemberDevice,
        Principal.MemberDevice => MemberDevice,
        Principal.RevokedDevice => RevokedDevice,
        Principal.SuspendedAccount => SuspendedAccount,
        Principal.BlockedAccount => BlockedAccount,
        Principal.Operator => Operator,
        Principal.SubscriberQueue => SubscriberQueue ?? DeviceRequired,
        _ => throw new ArgumentOutOfRangeException(nameof(principal)),
    };
}

/// <summary>One operation: its method and route pattern as the server maps them, the answers, and how a principal sends it
/// (including whatever fresh resource the cell needs, so that a success leaves the world as it was for the next cell).</summary>
public sealed record MatrixRow(string Method, string Route, Expectations Expect, Func<AuthorizationCell, Task<Answer>> Act)
{
    public string Key => $"{Method} {Route}";
}

public sealed class AuthorizationMatrixTests(AuthorizationWorld world, ITestOutputHelper output) : IClassFixture<AuthorizationWorld>
{
    private static readonly Answer Ok = new(200, null), Created = new(201, null), Accepted = new(202, null), NoContent = new(204, null),
        Upgraded = new(101, null);

    private static readonly Answer Unauthenticated = new(401, "unauthenticated"), AccountSuspended = new(403, "account_suspended"),
        OperatorUnauthenticated = new(401, "operator_unauthenticated");

    private static Answer Status(int status, string code) => new(status, code);

    private static readonly Answer InvalidCredential = new(403, "invalid_delivery_credential");

    /// <summary>An endpoint for devices: no credential, a revoked device's and the operator's signature are 401 unauthenticated,
    /// a suspended account's device is 403 account_suspended; the four active devices get what the row says, and a channel
    /// subscriber queue 403 device_required unless the row says otherwise.</summary>
    private static Expectations Devices(Answer other, Answer nonMember, Answer member, Answer blocked, Answer? queue = null)
        => new(Unauthenticated, other, nonMember, member, Unauthenticated, AccountSuspended, blocked, Unauthenticated, queue);

    /// <summary>An endpoint for channel subscriber queues alone: every device is told a queue is needed.</summary>
    private static Expectations QueuesOnly(Answer queue)
        => Devices(other: QueueRequired, nonMember: QueueRequired, member: QueueRequired, blocked: QueueRequired, queue: queue);

    private static readonly Answer QueueRequired = new(403, "queue_required");

    /// <summary>An endpoint for the admins of Alice's private channel: a device outside the channel finds no channel (as if it
    /// did not exist), a subscriber is told it is no admin.</summary>
    private static Expectations ChannelAdmins(Answer member)
        => Devices(other: Status(404, "channel_not_found"), nonMember: Status(404, "channel_not_found"), member: member,
            blocked: Status(403, "not_channel_admin"));

    /// <summary>An endpoint for the operator alone: every other caller is 401 operator_unauthenticated.</summary>
    private static Expectations OperatorOnly(Answer answer)
        => new(OperatorUnauthenticated, OperatorUnauthenticated, OperatorUnauthenticated, OperatorUnauthenticated,
            OperatorUnauthenticated, OperatorUnauthenticated, OperatorUnauthenticated, answer, OperatorUnauthenticated);

    /// <summary>A public endpoint: the same answer for everyone, whatever credential comes along.</summary>
    private static Expectations Everyone(Answer answer) => new(answer, answer, answer, answer, answer, answer, answer, answer, answer);

    private static MatrixRow Row(string method, string route, Expectations expect, Func<AuthorizationCell, Task<Answer>> act)
        => new(method, route, expect, act);

    /// <summary>The matrix. A new endpoint needs a row here, or <see cref="Every_endpoint_of_the_server_has_a_row_and_every_row_an_endpoint"/>
    /// fails (docs/security.md, "Authorization matrix", says how to add one).</summary>
    public static readonly IReadOnlyList<MatrixRow> Table =
    [
        // ---- Operations (src/Parley.Server/Operations) and the OpenAPI document: public. ----
        Row("GET", "/healthz", Everyone(Ok), c => c.SendAsync(HttpMethod.Get, "/healthz")),
        Row("GET", "/openapi/v1.json", Everyone(Ok), c => c.SendAsync(HttpMethod.Get, "/openapi/v1.json")),

        // ---- Accounts and devices. ----
        Row("POST", "/v1/challenges", Everyone(Ok), c => c.SendAsync(HttpMethod.Post, "/v1/challenges")),
        // Registration is open: each principal registers an account of its own.
        Row("POST", "/v1/accounts", Everyone(Created), async c =>
        {
            byte[] challenge = await c.World.ChallengeAsync();
            return await c.JsonAsync(HttpMethod.Post, "/v1/accounts",
                TestUser.Create().RegistrationBody(challenge, TestUser.Suite.GenerateSignatureKeyPair()));
        }),
        // Adding a device to Alice's account, signed with the identity key the principal holds; the suspended account adds
        // one to its own account, which its own key does sign.
        Row("POST", "/v1/accounts/{username}/devices",
            new(Status(400, "invalid_signature"), Status(400, "invalid_signature"), Created, Created, Status(400, "invalid_signature"),
                AccountSuspended, Status(400, "invalid_signature"), Status(400, "invalid_signature"), Status(400, "invalid_signature")),
            async c =>
            {
                TestUser target = c.Principal == Principal.SuspendedAccount ? c.World.Sam : c.World.Alice;
                byte[] challenge = await c.World.ChallengeAsync();
                return await c.JsonAsync(HttpMethod.Post, $"/v1/accounts/{target.Username}/devices",
                    target.AddDeviceBody(challenge, TestUser.Suite.GenerateSignatureKeyPair(), c.IdentityKey()));
            }),
        // The directory: any account may look Alice up; her block of Bea is not revealed.
        Row("GET", "/v1/accounts/{username}", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/accounts/{c.World.Alice.Username}")),
        Row("GET", "/v1/devices", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok),
            c => c.SendAsync(HttpMethod.Get, "/v1/devices")),
        // Revoking a fresh device of Alice's, signed with the identity key the principal holds; another account's device looks
        // exactly like a missing one.
        Row("POST", "/v1/devices/{deviceId}/revoke",
            Devices(other: Status(404, "device_not_found"), nonMember: NoContent, member: NoContent, blocked: Status(404, "device_not_found")),
            async c =>
            {
                TestDevice target = await c.World.NewDeviceAsync(c.World.Alice);
                byte[] challenge = await c.World.ChallengeAsync();
                byte[] statement = AccountSignatures.RevokeDevice(challenge, c.World.Alice.Username.ToLowerInvariant(), target.Id);
                return await c.JsonAsync(HttpMethod.Post, $"/v1/devices/{target.Id}/revoke",
                    new { challenge, signature = AccountSignatures.Sign(c.IdentityKey(), statement) });
            }),

        // ---- Key packages: each device uploads and counts its own; anyone claims Alice's. ----
        Row("POST", "/v1/keypackages", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok),
            c => c.JsonAsync(HttpMethod.Post, "/v1/keypackages", new { keyPackages = new[] { OwnKeyPackage(c) } })),
        Row("GET", "/v1/keypackages/count", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok),
            c => c.SendAsync(HttpMethod.Get, "/v1/keypackages/count")),
        Row("POST", "/v1/accounts/{username}/keypackages/claim",
            Devices(other: Ok, nonMember: Ok, member: Ok,
                // A claimer Alice blocks gets the answer for an account without key packages, and takes nothing.
                blocked: Status(404, "no_key_packages")),
            async c =>
            {
                // A device never claims its own package, so both active devices of Alice's have one for every claimer.
                await c.World.Phone.UploadKeyPackagesAsync(1);
                await c.World.Laptop.UploadKeyPackagesAsync(1);
                return await c.SendAsync(HttpMethod.Post, $"/v1/accounts/{c.World.Alice.Username}/keypackages/claim");
            }),

        // ---- Groups and delivery: the conversation of Alice's phone, Bob, Sam and Bea. ----
        Row("POST", "/v1/groups", Devices(other: Created, nonMember: Created, member: Created, blocked: Created),
            c =>
            {
                // A new group comes with its epoch 0 GroupInfo, signed by the creating device.
                byte[] id = TestMls.NewGroupId();
                byte[] genesis = GroupSigner.Genesis(c.Device?.SignatureKey ?? TestUser.Suite.GenerateSignatureKeyPair(), id).Message;
                return c.JsonAsync(HttpMethod.Post, "/v1/groups",
                    new { groupId = Parley.Server.Groups.GroupId.FromBytes(id).Value, cipherSuite = 1, groupInfo = genesis });
            }),
        // A group the caller is not in looks exactly like a missing one.
        Row("GET", "/v1/groups/{groupId}",
            Devices(other: Status(404, "group_not_found"), nonMember: Status(404, "group_not_found"), member: Ok, blocked: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/groups/{c.Group.IdText}")),
        // An application message at the current epoch.
        Row("POST", "/v1/groups/{groupId}/messages",
            Devices(
                // A non-member gets 404 group_not_found, as for a missing group.
                other: Status(404, "group_not_found"), nonMember: Status(404, "group_not_found"),
                member: Ok,
                // Blocking only filters what reaches Alice; Bea's send is accepted, so she cannot tell.
                blocked: Ok,
                // Dee's queue is in Alice's channel only: the conversation looks missing to it.
                queue: Status(404, "group_not_found")),
            c => c.JsonAsync(HttpMethod.Post, $"/v1/groups/{c.Group.IdText}/messages",
                new { id = Guid.NewGuid().ToString("N"), message = TestMls.Application(c.Group.Id, c.Group.Epoch) })),
        // A sealed send carries no device credential: what counts is the epoch's delivery credential, which every device in the
        // group derives from the epoch's secrets (Alice's phone, her old device, Sam, Bea) and nobody else holds (the others
        // sign with a key of their own). Whatever HTTP credential comes along is not looked at, so the revoked device and the
        // suspended account, still in the group's epoch, can send sealed until a commit moves the epoch on without them
        // (docs/security.md, "Sealed sending").
        Row("POST", "/v1/groups/{groupId}/sealed",
            new(Anonymous: InvalidCredential, OtherAccount: InvalidCredential, NonMemberDevice: InvalidCredential, MemberDevice: Ok,
                RevokedDevice: Ok, SuspendedAccount: Ok, BlockedAccount: Ok, Operator: InvalidCredential,
                SubscriberQueue: InvalidCredential),
            c =>
            {
                bool holdsCredential = c.Principal is Principal.MemberDevice or Principal.BlockedAccount or Principal.RevokedDevice
                    or Principal.SuspendedAccount;
                byte[] message = TestMls.Application(c.Group.Id, c.Group.Epoch);
                byte[] seed = holdsCredential && c.Group.DeliverySeeds.TryGetValue(c.Group.Epoch, out byte[]? held) ? held : Parley.Content.SealedSender.NewSeed();
                string id = Guid.NewGuid().ToString("N");
                return c.JsonAsync(HttpMethod.Post, $"/v1/groups/{c.Group.IdText}/sealed", new
                {
                    id, message, deliveryKey = Parley.Content.SealedSender.DeliveryKey(seed),
                    signature = Parley.Content.SealedSender.Sign(seed, c.Group.Id, id, message),
                });
            }),
        // Every active device opens its own delivery socket, and so does a subscriber queue (a connection of its own, with
        // the queue's credential); the gate refuses as the pipeline does.
        Row("WS", "/v1/ws", Devices(other: Upgraded, nonMember: Upgraded, member: Upgraded, blocked: Upgraded, queue: Upgraded),
            c => c.ConnectAsync()),

        // ---- Mailboxes: a device names only messages in its own mailbox. ----
        Row("GET", "/v1/mailbox", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok, queue: Ok),
            c => c.SendAsync(HttpMethod.Get, "/v1/mailbox")),
        // Bob's fresh message is in the mailboxes of Alice's phone and Bea (her own copy), not Alice's laptop or Mallory's.
        Row("DELETE", "/v1/mailbox/{id}",
            Devices(other: Status(404, "message_not_found"), nonMember: Status(404, "message_not_found"), member: NoContent, blocked: NoContent,
                queue: Status(404, "message_not_found")),
            async c => await c.SendAsync(HttpMethod.Delete, $"/v1/mailbox/{await c.World.BobSendsAsync()}")),

        // ---- Blobs: any device holding the id downloads; only the creating device (Alice's phone) uploads; a device of its
        // account (the phone, or the laptop: a linked device deleting the history bundle left for it) deletes. ----
        Row("POST", "/v1/blobs", Devices(other: Created, nonMember: Created, member: Created, blocked: Created),
            c => c.JsonAsync(HttpMethod.Post, "/v1/blobs", new { size = 16 })),
        Row("PATCH", "/v1/blobs/{id}",
            Devices(other: Status(403, "not_uploader"), nonMember: Status(403, "not_uploader"), member: Ok, blocked: Status(403, "not_uploader")),
            async c => await c.SendAsync(HttpMethod.Patch, $"/v1/blobs/{await c.World.NewEmptyBlobAsync()}", Chunk(16),
                request => request.Headers.Add("Upload-Offset", "0"))),
        Row("PUT", "/v1/blobs/{id}",
            Devices(other: Status(403, "not_uploader"), nonMember: Status(403, "not_uploader"), member: Ok, blocked: Status(403, "not_uploader")),
            async c =>
            {
                HttpContent chunk = Chunk(16);
                chunk.Headers.ContentRange = new ContentRangeHeaderValue(0, 15, 16);
                return await c.SendAsync(HttpMethod.Put, $"/v1/blobs/{await c.World.NewEmptyBlobAsync()}", chunk);
            }),
        Row("HEAD", "/v1/blobs/{id}", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok),
            c => c.SendAsync(HttpMethod.Head, $"/v1/blobs/{c.World.BlobId}")),
        Row("GET", "/v1/blobs/{id}", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/blobs/{c.World.BlobId}")),
        Row("DELETE", "/v1/blobs/{id}",
            Devices(other: Status(403, "not_uploader"), nonMember: NoContent, member: NoContent, blocked: Status(403, "not_uploader")),
            async c => await c.SendAsync(HttpMethod.Delete, $"/v1/blobs/{await c.World.NewEmptyBlobAsync()}")),

        // ---- Private channels: Alice's phone is the admin device, Sam and Bea subscribe. ----
        // Registering a fresh group of Alice's phone alone as a channel.
        Row("POST", "/v1/channels",
            Devices(other: Status(404, "group_not_found"), nonMember: Status(404, "group_not_found"), member: Created,
                blocked: Status(404, "group_not_found")),
            async c => await c.JsonAsync(HttpMethod.Post, "/v1/channels", new { groupId = (await c.World.NewSoloGroupAsync()).IdText })),
        Row("GET", "/v1/channels/{groupId}",
            Devices(other: Status(404, "channel_not_found"), nonMember: Status(404, "channel_not_found"), member: Ok, blocked: Ok, queue: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/channels/{c.Channel.IdText}")),
        Row("POST", "/v1/channels/{groupId}/invites",
            ChannelAdmins(member: Created),
            c => c.JsonAsync(HttpMethod.Post, $"/v1/channels/{c.Channel.IdText}/invites", new { approval = false })),
        Row("GET", "/v1/channels/{groupId}/invites",
            ChannelAdmins(member: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/channels/{c.Channel.IdText}/invites")),
        Row("DELETE", "/v1/channels/{groupId}/invites/{inviteId}",
            ChannelAdmins(member: NoContent),
            async c => await c.SendAsync(HttpMethod.Delete, $"/v1/channels/{c.Channel.IdText}/invites/{await c.World.NewInviteIdAsync()}")),
        // Anyone holding a fresh invite link may ask to join with a pseudonymous key package, from a subscriber queue (a device
        // would name itself); a queue already in the channel is told so.
        Row("POST", "/v1/invites/{token}/requests",
            QueuesOnly(queue: Status(409, "already_member")),
            async c => await c.JsonAsync(HttpMethod.Post, $"/v1/invites/{await AuthorizationWorld.InviteAsync(c.World.Phone, c.World.Channel)}/requests",
                new { keyPackage = AuthorizationWorld.AnonymousKeyPackage().Message })),
        // The GroupInfo for joining at once through a fresh open invite: anyone holding the link; Alice's test channel has no
        // joinable state (its commits are not real MLS), so everyone hears so.
        Row("GET", "/v1/invites/{token}/group-info",
            Everyone(Status(404, "group_info_unavailable")),
            async c => await c.SendAsync(HttpMethod.Get, $"/v1/invites/{await AuthorizationWorld.InviteAsync(c.World.Phone, c.World.Channel)}/group-info")),
        // Joining at once by external commit, from a subscriber queue only; the bytes sent are not an MLS message.
        Row("POST", "/v1/invites/{token}/join",
            QueuesOnly(queue: Status(400, "malformed_mls_message")),
            async c => await c.JsonAsync(HttpMethod.Post, $"/v1/invites/{await AuthorizationWorld.InviteAsync(c.World.Phone, c.World.Channel)}/join",
                new { id = "join-1", message = new byte[] { 1, 2, 3 } })),
        Row("GET", "/v1/channels/{groupId}/requests",
            ChannelAdmins(member: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/channels/{c.Channel.IdText}/requests")),
        // Denying a fresh join request of Zed's.
        Row("DELETE", "/v1/channels/{groupId}/requests/{requestId}",
            ChannelAdmins(member: NoContent),
            async c => await c.SendAsync(HttpMethod.Delete,
                $"/v1/channels/{c.Channel.IdText}/requests/{await c.World.NewJoinRequestAsync()}")),
        // The join request Dee's queue made to Bob's channel: only a queue asks, and only the requesting queue sees it.
        Row("GET", "/v1/join-requests/{requestId}",
            QueuesOnly(queue: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/join-requests/{c.World.JoinRequestId}")),
        // Moving a subscriber's leaf to a queue: Alice's phone is an admin (it stays a device); Bea's device is a non-admin
        // member whose leaf moves to a fresh queue, and is put back so the next cells find the world as it was.
        Row("POST", "/v1/channels/{groupId}/queue",
            Devices(other: Status(404, "channel_not_found"), nonMember: Status(404, "channel_not_found"), member: Status(409, "admin_keeps_device"),
                blocked: NoContent),
            async c =>
            {
                Answer answer = await c.JsonAsync(HttpMethod.Post, $"/v1/channels/{c.Channel.IdText}/queue",
                    new { queueToken = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) });
                if (answer.Status == 204)
                {
                    c.World.PutBackInChannel(c.World.Bea.Device);
                }
                return answer;
            }),
        Row("POST", "/v1/channels/{groupId}/posts/{messageId}/views",
            Devices(other: Status(404, "channel_not_found"), nonMember: Status(404, "channel_not_found"), member: NoContent, blocked: NoContent, queue: NoContent),
            c => c.JsonAsync(HttpMethod.Post, $"/v1/channels/{c.Channel.IdText}/posts/post-1/views",
                new { token = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) })),
        Row("GET", "/v1/channels/{groupId}/posts/{messageId}/views",
            Devices(other: Status(404, "channel_not_found"), nonMember: Status(404, "channel_not_found"), member: Ok, blocked: Ok, queue: Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/channels/{c.Channel.IdText}/posts/post-1/views")),

        // ---- Public channels: Alice's account owns one; reading is public. ----
        Row("POST", "/v1/public-channels", Devices(other: Created, nonMember: Created, member: Created, blocked: Created),
            c => c.JsonAsync(HttpMethod.Post, "/v1/public-channels", new { name = "pub-" + Guid.NewGuid().ToString("N")[..12], title = "t" })),
        Row("GET", "/v1/public-channels/{name}", Everyone(Ok), c => c.SendAsync(HttpMethod.Get, $"/v1/public-channels/{c.World.PublicChannel}")),
        // A post signed by the principal's own device key as its own account: only Alice's devices are admins' devices. The
        // anonymous caller and the operator send a post Alice's phone signed: a valid signature is not a credential.
        Row("POST", "/v1/public-channels/{name}/posts",
            Devices(other: Status(403, "not_channel_admin"), nonMember: Created, member: Created, blocked: Status(403, "not_channel_admin")),
            c => c.JsonAsync(HttpMethod.Post, $"/v1/public-channels/{c.World.PublicChannel}/posts",
                new { post = AuthorizationWorld.SignPost(c.Device ?? c.World.Phone, c.World.PublicChannel, Guid.NewGuid().ToString("N")) })),
        Row("GET", "/v1/public-channels/{name}/posts", Everyone(Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/public-channels/{c.World.PublicChannel}/posts")),
        Row("POST", "/v1/public-channels/{name}/posts/{postId}/views", Everyone(NoContent),
            c => c.SendAsync(HttpMethod.Post, $"/v1/public-channels/{c.World.PublicChannel}/posts/{c.World.PublicPostId}/views")),
        Row("POST", "/v1/public-channels/{name}/admins",
            Devices(other: Status(403, "not_channel_owner"), nonMember: Ok, member: Ok, blocked: Status(403, "not_channel_owner")),
            c => c.JsonAsync(HttpMethod.Post, $"/v1/public-channels/{c.World.PublicChannel}/admins", new { username = c.World.Zed.Username })),
        // Removing Zed, whom Alice's phone makes an admin first.
        Row("DELETE", "/v1/public-channels/{name}/admins/{username}",
            Devices(other: Status(403, "not_channel_owner"), nonMember: Ok, member: Ok, blocked: Status(403, "not_channel_owner")),
            async c =>
            {
                string admins = $"/v1/public-channels/{c.World.PublicChannel}/admins";
                using (var added = await c.World.Phone.Client.PostAsync(admins, JsonBody(new { username = c.World.Zed.Username })))
                {
                    await TestHttp.EnsureAsync(added);
                }
                return await c.SendAsync(HttpMethod.Delete, $"{admins}/{c.World.Zed.Username}");
            }),
        // Takedowns act on fresh channels and posts, so that Alice's channel stays served for the rows above.
        Row("POST", "/v1/admin/public-channels/{name}/takedown", OperatorOnly(NoContent),
            async c => await c.JsonAsync(HttpMethod.Post,
                $"/v1/admin/public-channels/{await AuthorizationWorld.PublicChannelAsync(c.World.Phone)}/takedown", new { reason = "r" })),
        Row("POST", "/v1/admin/public-channels/{name}/restore", OperatorOnly(NoContent),
            async c =>
            {
                string name = await AuthorizationWorld.PublicChannelAsync(c.World.Phone);
                await c.World.TakeDownAsync(name);
                return await c.JsonAsync(HttpMethod.Post, $"/v1/admin/public-channels/{name}/restore", new { reason = "r" });
            }),
        Row("POST", "/v1/admin/public-channels/{name}/posts/{postId}/takedown", OperatorOnly(NoContent),
            async c => await c.JsonAsync(HttpMethod.Post,
                $"/v1/admin/public-channels/{c.World.PublicChannel}/posts/{await AuthorizationWorld.PublishAsync(c.World.Phone, c.World.PublicChannel)}/takedown",
                new { reason = "r" })),

        // ---- Safety: reports, blocks, moderation. ----
        // Reporting Bob's fresh franked message: with the stamp of the principal's own copy where it can read one (Alice's
        // phone, Bea), else with the stamp Alice's phone got, which was issued to another device.
        Row("POST", "/v1/reports",
            Devices(other: Status(422, "invalid_report"), nonMember: Status(422, "invalid_report"), member: Created, blocked: Created),
            async c =>
            {
                var (envelope, id, stamps) = await c.World.BobSendsFrankedAsync(c.World.Phone, c.World.Bea.Device);
                byte[] stamp = c.Device is { } device && stamps.TryGetValue(device, out byte[]? own) ? own : stamps[c.World.Phone];
                return await c.JsonAsync(HttpMethod.Post, "/v1/reports", AuthorizationWorld.ReportBody(c.World.Group, id, envelope, stamp));
            }),
        Row("PUT", "/v1/blocks/{username}", Devices(other: NoContent, nonMember: NoContent, member: NoContent, blocked: NoContent),
            c => c.SendAsync(HttpMethod.Put, $"/v1/blocks/{c.World.Zed.Username}")),
        Row("DELETE", "/v1/blocks/{username}", Devices(other: NoContent, nonMember: NoContent, member: NoContent, blocked: NoContent),
            c => c.SendAsync(HttpMethod.Delete, $"/v1/blocks/{c.World.Zed.Username}")),
        Row("GET", "/v1/blocks", Devices(other: Ok, nonMember: Ok, member: Ok, blocked: Ok), c => c.SendAsync(HttpMethod.Get, "/v1/blocks")),
        Row("GET", "/v1/admin/reports", OperatorOnly(Ok), c => c.SendAsync(HttpMethod.Get, "/v1/admin/reports?status=all")),
        Row("GET", "/v1/admin/reports/{id}", OperatorOnly(Ok), c => c.SendAsync(HttpMethod.Get, $"/v1/admin/reports/{c.World.ReportId}")),
        Row("GET", "/v1/admin/reports/{id}/attachments/{index:int}", OperatorOnly(Ok),
            c => c.SendAsync(HttpMethod.Get, $"/v1/admin/reports/{c.World.ReportId}/attachments/0")),
        Row("POST", "/v1/admin/reports/{id}/close", OperatorOnly(NoContent),
            async c => await c.JsonAsync(HttpMethod.Post, $"/v1/admin/reports/{await c.World.NewReportAsync()}/close", new { resolution = "done" })),
        Row("POST", "/v1/admin/accounts/{username}/suspend", OperatorOnly(NoContent),
            async c => await c.JsonAsync(HttpMethod.Post, $"/v1/admin/accounts/{(await c.World.NewAccountAsync()).Username}/suspend",
                new { reason = "r" })),
        Row("POST", "/v1/admin/accounts/{username}/restore", OperatorOnly(NoContent),
            async c =>
            {
                TestUser suspended = await c.World.NewAccountAsync();
                await c.World.SuspendAsync(suspended.Username);
                return await c.SendAsync(HttpMethod.Post, $"/v1/admin/accounts/{suspended.Username}/restore");
            }),
        Row("GET", "/v1/admin/audit", OperatorOnly(Ok), c => c.SendAsync(HttpMethod.Get, "/v1/admin/audit")),
    ];

    public static TheoryData<string> Rows => new(Table.Select(r => r.Key));

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Every_principal_gets_the_answer_the_table_gives(string row)
    {
        MatrixRow entry = Table.Single(r => r.Key == row);
        AuthorizationWorld ready = world.Ready;
        var lines = new List<string>();
        int differing = 0;
        foreach (Principal principal in Enum.GetValues<Principal>())
        {
            Answer expected = entry.Expect.For(principal);
            string actual;
            bool same;
            try
            {
                Answer answer = await entry.Act(new AuthorizationCell(ready, principal));
                actual = answer.ToString();
                same = answer == expected;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                actual = $"the cell failed: {ex.GetType().Name}: {ex.Message}";
                same = false;
            }
            differing += same ? 0 : 1;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {NameOf(principal),-19} expected {expected,-32} got {actual}{(same ? "" : "   <-- differs")}"));
        }
        string table = string.Join(Environment.NewLine, lines);
        output.WriteLine(row + Environment.NewLine + table);
        if (differing > 0)
        {
            Assert.Fail($"{row}: {differing} of {lines.Count} principals got another answer than the table gives:{Environment.NewLine}{table}");
        }
    }

    /// <summary>The rows whose route names a group (a conversation or a private channel).</summary>
    public static TheoryData<string> GroupRows => new(Table.Where(r => r.Route.Contains("{groupId}", StringComparison.Ordinal)).Select(r => r.Key));

    /// <summary>Rows that still tell a group a device is not in from a missing group.</summary>
    private static readonly HashSet<string> TellExistingFromMissing = new(StringComparer.Ordinal)
    {
    };

    [Theory]
    [MemberData(nameof(GroupRows))]
    public async Task A_device_outside_a_group_gets_the_answer_a_missing_group_gets(string row)
    {
        MatrixRow entry = Table.Single(r => r.Key == row);
        AuthorizationWorld ready = world.Ready;
        var lines = new List<string>();
        bool alike = true;
        foreach (Principal principal in new[] { Principal.OtherAccount, Principal.NonMemberDevice })
        {
            Answer existing = await entry.Act(new AuthorizationCell(ready, principal));
            Answer missing = await entry.Act(new AuthorizationCell(ready, principal, missingGroups: true));
            alike &= existing == missing;
            lines.Add($"  {NameOf(principal),-19} existing group: {existing,-32} missing group: {missing}");
        }
        string table = string.Join(Environment.NewLine, lines);
        output.WriteLine(row + Environment.NewLine + table);
        bool known = TellExistingFromMissing.Contains(row);
        Assert.True(alike != known, known
            ? $"{row} now answers a device outside the group as for a missing group; remove it from {nameof(TellExistingFromMissing)}:{Environment.NewLine}{table}"
            : $"{row} tells a device outside the group that the group exists:{Environment.NewLine}{table}");
    }

    [Fact]
    public void Every_endpoint_of_the_server_has_a_row_and_every_row_an_endpoint()
    {
        var served = new SortedSet<string>(StringComparer.Ordinal);
        foreach (RouteEndpoint endpoint in world.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            string route = endpoint.RoutePattern.RawText ?? "(no pattern)";
            if (endpoint.Metadata.GetMetadata<DeviceSocketGate.Marker>() is not null)
            {
                served.Add("WS " + route);
                continue;
            }
            IReadOnlyList<string> methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            foreach (string method in methods.Count == 0 ? ["ANY"] : methods)
            {
                served.Add($"{method} {route}");
            }
        }
        // The delivery WebSocket is served by an early gate (DeviceSocketGate): it needs its row even if it stopped being an endpoint.
        served.Add("WS /v1/ws");
        var rows = Table.Select(r => r.Key).ToList();

        Assert.Equal(rows.Count, rows.Distinct(StringComparer.Ordinal).Count());
        var missing = served.Except(rows, StringComparer.Ordinal).ToList();
        var stale = rows.Except(served, StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"Endpoints without a row in AuthorizationMatrixTests.Table: [{string.Join(", ", missing)}]; rows without an endpoint: [{string.Join(", ", stale)}].");
    }

    private static string NameOf(Principal principal) => principal switch
    {
        Principal.Anonymous => "anonymous",
        Principal.OtherAccount => "other account",
        Principal.NonMemberDevice => "non-member device",
        Principal.MemberDevice => "member device",
        Principal.RevokedDevice => "revoked device",
        Principal.SuspendedAccount => "suspended account",
        Principal.BlockedAccount => "blocked account",
        Principal.SubscriberQueue => "subscriber queue",
        _ => "operator",
    };

    /// <summary>A key package of the principal's own device (a fresh key's for callers without one).</summary>
    private static byte[] OwnKeyPackage(AuthorizationCell cell)
    {
        if (cell.Device is { } device)
        {
            return device.NewKeyPackage();
        }
        var key = TestUser.Suite.GenerateSignatureKeyPair();
        return TestMls.KeyPackage(Parley.Server.Devices.DeviceId.FromSignatureKey(key.PublicKey).Value, key);
    }

    private static ByteArrayContent Chunk(int length)
    {
        var content = new ByteArrayContent(new byte[length]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static StringContent JsonBody(object body) => TestHttp.RawJson(System.Text.Json.JsonSerializer.Serialize(body, TestHttp.Json));
}
