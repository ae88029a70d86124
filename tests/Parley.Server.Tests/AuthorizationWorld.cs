// docs/security.md, "Authorization matrix": the accounts, devices, groups and channels every row of the matrix acts on.
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Parley.Content;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Channels;
using Parley.Server.Reports;

namespace Parley.Server.Tests;

/// <summary>Who sends a request of the authorization matrix. The resource is Alice's unless a row says otherwise.</summary>
public enum Principal
{
    /// <summary>No credential at all.</summary>
    Anonymous,

    /// <summary>Mallory: a registered account with an active device and no relation to the resource.</summary>
    OtherAccount,

    /// <summary>Alice's laptop: an active device of the resource's account that is not itself in the group or channel and did
    /// not create the device-bound resource (mailbox entry, blob, join request).</summary>
    NonMemberDevice,

    /// <summary>Alice's phone: the device that owns the resource, created it, or is in the group (an admin of the channels).</summary>
    MemberDevice,

    /// <summary>Alice's old device: in the group until Alice revoked it; it holds its own credential and device key only.</summary>
    RevokedDevice,

    /// <summary>Sam: a member of the group and a subscriber of the channel whose account the operator suspended.</summary>
    SuspendedAccount,

    /// <summary>Bea: a member of the group and a subscriber of the channel whom Alice blocks.</summary>
    BlockedAccount,

    /// <summary>The operator: requests signed with the operator key (docs/server-protocol.md, "Operator authentication").</summary>
    Operator,

    /// <summary>Dee's anonymous subscriber queue (docs/channels.md, "Subscriber queues"): in Alice's channel, with a pending join
    /// request to Bob's; no account.</summary>
    SubscriberQueue,
}

/// <summary>What a request got: its status and, for a problem, its stable code (null for a success or a body-less answer).</summary>
public readonly record struct Answer(int Status, string? Code)
{
    public override string ToString() => Code is null ? Status.ToString(CultureInfo.InvariantCulture) : $"{Status} {Code}";

    /// <summary>Reads the status and, from a problem+json body, the code.</summary>
    public static async Task<Answer> OfAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            string body = await response.Content.ReadAsStringAsync();
            if (body.Length > 0)
            {
                using JsonDocument problem = JsonDocument.Parse(body);
                code = problem.RootElement.TryGetProperty("code", out JsonElement value) ? value.GetString() : "(problem without a code)";
            }
        }
        return new Answer((int)response.StatusCode, code);
    }
}

/// <summary>The server and the people of the matrix, built once: Alice with three devices (phone, laptop, and an old device
/// she revoked), Bob, Sam (suspended), Bea (blocked by Alice), Mallory and Zed (strangers); a conversation of Alice's phone and
/// old device, Bob, Sam and Bea; Alice's private channel with Sam and Bea as subscribers; Bob's private channel with a join
/// request of Alice's phone; Alice's public channel with one post; a complete blob; and a verified report with attachment
/// evidence.</summary>
public sealed class AuthorizationWorld : IAsyncLifetime
{
    private AuthorizationWorld? _ready;

    public TestOperator Operator { get; } = new();

    public ServerFactory Server { get; }

    public AuthorizationWorld()
    {
        Dictionary<string, string?> settings = Operator.Settings;
        // The revoke and add-device rows add devices to Alice's account for every cell; revoked ones count towards the limit.
        settings["Parley:MaxDevicesPerAccount"] = "64";
        Server = new ServerFactory(settings: settings);
    }

    public TestUser Alice { get; private set; } = null!;

    public TestDevice Phone => Alice.Devices[0];

    public TestDevice Laptop => Alice.Devices[1];

    public TestDevice OldDevice => Alice.Devices[2];

    public TestUser Bob { get; private set; } = null!;

    public TestUser Sam { get; private set; } = null!;

    public TestUser Bea { get; private set; } = null!;

    public TestUser Mallory { get; private set; } = null!;

    public TestUser Zed { get; private set; } = null!;

    /// <summary>The conversation: Alice's phone (leaf 0) and old device, Bob, Sam and Bea.</summary>
    public TestGroup Group { get; private set; } = null!;

    /// <summary>Alice's private channel: her phone is its admin device, Sam and Bea subscribe.</summary>
    public TestGroup Channel { get; private set; } = null!;

    /// <summary>Dee: subscribes to Alice's channel anonymously, through <see cref="DeeQueue"/>.</summary>
    public TestUser Dee { get; private set; } = null!;

    /// <summary>Dee's subscriber queue: in Alice's channel, with a pending request to Bob's.</summary>
    public TestDevice DeeQueue { get; private set; } = null!;

    /// <summary>The join request Dee's queue made to Bob's private channel.</summary>
    public string JoinRequestId { get; private set; } = "";

    /// <summary>Alice's public channel, with one post.</summary>
    public string PublicChannel { get; private set; } = "";

    public string PublicPostId { get; private set; } = "";

    /// <summary>A complete blob uploaded by Alice's phone.</summary>
    public string BlobId { get; private set; } = "";

    /// <summary>Alice's verified report of Bob's message, with attachment evidence at index 0.</summary>
    public string ReportId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Alice = await TestUser.RegisterAsync(Server);
        await Alice.AddDeviceAsync(Server);
        await Alice.AddDeviceAsync(Server);
        Bob = await TestUser.RegisterAsync(Server);
        Sam = await TestUser.RegisterAsync(Server);
        Bea = await TestUser.RegisterAsync(Server);
        Mallory = await TestUser.RegisterAsync(Server);
        Zed = await TestUser.RegisterAsync(Server);

        // Only the old device has key packages when Alice adds her own account, so her laptop stays out of the group.
        await OldDevice.UploadKeyPackagesAsync(1);
        foreach (TestUser user in new[] { Bob, Sam, Bea })
        {
            await user.Device.UploadKeyPackagesAsync(user == Bob ? 1 : 2);
        }
        Group = await TestGroup.CreateAsync(Phone);
        foreach (TestUser user in new[] { Alice, Bob, Sam, Bea })
        {
            await Group.AddAsync(Phone, user);
        }

        // Sam's and Bea's devices are non-admin members of Alice's channel; Dee subscribes anonymously through a queue.
        Channel = await PrivateChannelAsync(Phone);
        foreach (TestUser user in new[] { Sam, Bea })
        {
            await Channel.AddAsync(Phone, user);
        }
        Dee = await TestUser.RegisterAsync(Server);
        DeeQueue = TestDevice.Queue(Server, Dee);
        {
            var (package, bytes) = AnonymousKeyPackage();
            await EnsureAsync(await RequestJoinAsync(DeeQueue, await InviteAsync(Phone, Channel), bytes));
            await AddRequestedAsync(Phone, Channel, package, DeeQueue);
        }
        TestGroup bobs = await PrivateChannelAsync(Bob.Device);
        using (var joined = await RequestJoinAsync(DeeQueue, await InviteAsync(Bob.Device, bobs), AnonymousKeyPackage().Message))
        {
            JoinRequestId = (await ReadAsync<JoinRequestResponse>(joined)).RequestId;
        }

        PublicChannel = await PublicChannelAsync(Phone);
        PublicPostId = await PublishAsync(Phone, PublicChannel);
        BlobId = await TestBlobs.UploadAsync(Phone, RandomNumberGenerator.GetBytes(64), 64);
        ReportId = await ReportWithEvidenceAsync();

        await RevokeAsync(Alice, OldDevice);
        await EnsureAsync(await Phone.Client.PutAsync($"/v1/blocks/{Bea.Username}", null));
        await SuspendAsync(Sam.Username);
        _ready = this;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>The device a principal sends with (none for the anonymous caller and the operator).</summary>
    public TestDevice? DeviceOf(Principal principal) => principal switch
    {
        Principal.OtherAccount => Mallory.Device,
        Principal.NonMemberDevice => Laptop,
        Principal.MemberDevice => Phone,
        Principal.RevokedDevice => OldDevice,
        Principal.SuspendedAccount => Sam.Device,
        Principal.BlockedAccount => Bea.Device,
        Principal.SubscriberQueue => DeeQueue,
        _ => null,
    };

    /// <summary>Checks that setup finished (a failed setup fails every row with its own error first).</summary>
    public AuthorizationWorld Ready => _ready ?? throw new InvalidOperationException("The authorization world was not built.");

    // ---- Resources the rows create per cell, so that a cell that succeeds leaves the next one the same world. ----

    /// <summary>A fresh device of <paramref name="user"/>.</summary>
    public Task<TestDevice> NewDeviceAsync(TestUser user) => user.AddDeviceAsync(Server);

    /// <summary>A fresh, registered account.</summary>
    public Task<TestUser> NewAccountAsync() => TestUser.RegisterAsync(Server);

    public async Task<byte[]> ChallengeAsync()
    {
        using HttpClient anonymous = Server.CreateClient();
        return await TestHttp.ChallengeAsync(anonymous);
    }

    /// <summary>Bob sends an application message to the conversation; returns its id.</summary>
    public async Task<string> BobSendsAsync()
    {
        string id = Guid.NewGuid().ToString("N");
        await EnsureAsync(await Group.SendAsync(Bob.Device, TestMls.Application(Group.Id, Group.Epoch), id: id));
        return id;
    }

    /// <summary>Bob sends a franked text; returns the envelope, the message id and the stamp of each given recipient's copy.</summary>
    public async Task<(byte[] Envelope, string MessageId, Dictionary<TestDevice, byte[]> Stamps)> BobSendsFrankedAsync(
        params TestDevice[] recipients)
    {
        string id = Guid.NewGuid().ToString("N");
        var (envelope, message) = TestFranking.Text(Group, "a message worth reporting");
        await EnsureAsync(await Group.SendAsync(Bob.Device, message, id: id));
        var stamps = new Dictionary<TestDevice, byte[]>();
        foreach (TestDevice recipient in recipients)
        {
            stamps[recipient] = (await TestFranking.EntryAsync(recipient, id)).Stamp!;
        }
        return (envelope, id, stamps);
    }

    public static object ReportBody(TestGroup group, string messageId, byte[] envelope, byte[] stamp, string? evidenceBlobId = null)
        => new
        {
            groupId = group.IdText,
            messageId,
            envelope,
            stamp,
            reason = "spam",
            comment = "",
            attachments = evidenceBlobId is null ? Array.Empty<object>() : [new { index = 0, evidenceBlobId }],
        };

    /// <summary>A fresh open report by Alice's phone of Bob's message.</summary>
    public async Task<string> NewReportAsync()
    {
        var (envelope, id, stamps) = await BobSendsFrankedAsync(Phone);
        using var response = await Phone.Client.PostAsJsonAsync("/v1/reports", ReportBody(Group, id, envelope, stamps[Phone]));
        return (await ReadAsync<ReportResponse>(response)).ReportId;
    }

    /// <summary>A fresh blob of 16 bytes created (not uploaded) by Alice's phone.</summary>
    public async Task<string> NewEmptyBlobAsync() => (await TestBlobs.CreateAsync(Phone, 16)).BlobId;

    /// <summary>Maps the channel leaf a row moved to a queue back to <paramref name="device"/>, as it was.</summary>
    public void PutBackInChannel(TestDevice device)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(Server.DataDirectory, Parley.Server.Storage.Sqlite.SqliteDatabase.FileName)};Pooling=False");
        connection.Open();
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE group_members SET device_id = $d WHERE group_id = $g AND leaf_index = $l";
        update.Parameters.AddWithValue("$d", device.Id);
        update.Parameters.AddWithValue("$g", Channel.IdText);
        update.Parameters.AddWithValue("$l", (long)Channel.Leaves[device.Id]);
        if (update.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException("The channel leaf was not put back.");
        }
    }

    /// <summary>A fresh group of Alice's phone alone.</summary>
    public Task<TestGroup> NewSoloGroupAsync() => TestGroup.CreateAsync(Phone);

    public static async Task<string> InviteAsync(TestDevice admin, TestGroup channel)
    {
        using var response = await admin.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites", new { expiresAt = (DateTimeOffset?)null, approval = false });
        return (await ReadAsync<InviteCreatedResponse>(response)).Token;
    }

    public async Task<string> NewInviteIdAsync()
    {
        using var response = await Phone.Client.PostAsJsonAsync($"/v1/channels/{Channel.IdText}/invites", new { expiresAt = (DateTimeOffset?)null, approval = true });
        return (await ReadAsync<InviteCreatedResponse>(response)).InviteId;
    }

    /// <summary>A pending join request of Zed's to Alice's private channel.</summary>
    public async Task<string> NewJoinRequestAsync()
    {
        using var response = await RequestJoinAsync(TestDevice.Queue(Server, Zed), await InviteAsync(Phone, Channel), AnonymousKeyPackage().Message);
        return (await ReadAsync<JoinRequestResponse>(response)).RequestId;
    }

    public static Task<HttpResponseMessage> RequestJoinAsync(TestDevice queue, string token, byte[] keyPackage)
        => queue.Client.PostAsJsonAsync($"/v1/invites/{token}/requests", new { keyPackage });

    /// <summary>A subscriber's key package: a fresh signature key under its "anon:" pseudonym.</summary>
    public static (KeyPackage Package, byte[] Message) AnonymousKeyPackage()
    {
        var key = TestMls.Suite.GenerateSignatureKeyPair();
        KeyPackage package = TestMls.KeyPackageRecord(Encoding.ASCII.GetString(PseudonymousCredential.IdentityFor(key.PublicKey)), key);
        return (package, new MlsMessage(package).ToBytes());
    }

    /// <summary>A fresh public channel of <paramref name="owner"/>'s account.</summary>
    public static async Task<string> PublicChannelAsync(TestDevice owner)
    {
        string name = "pub-" + Guid.NewGuid().ToString("N")[..12];
        await EnsureAsync(await owner.Client.PostAsJsonAsync("/v1/public-channels", new { name, title = "News", description = "" }));
        return name;
    }

    /// <summary>A post signed by <paramref name="device"/> as its account (a fresh id); returns the id.</summary>
    public static async Task<string> PublishAsync(TestDevice device, string channel)
    {
        string postId = Guid.NewGuid().ToString("N");
        await EnsureAsync(await device.Client.PostAsJsonAsync($"/v1/public-channels/{channel}/posts", new { post = SignPost(device, channel, postId) }));
        return postId;
    }

    /// <summary>An encoded post signed by <paramref name="device"/>'s key, authored by its account.</summary>
    public static byte[] SignPost(TestDevice device, string channel, string postId)
    {
        string author = device.User.Username.ToLowerInvariant();
        byte[] certificate = AccountSignatures.Sign(device.User.Identity.PrivateKey,
            AccountSignatures.DeviceCertificate(author, 1, device.SignatureKey.PublicKey));
        return PublicPost.Sign(channel, postId, PublicPostOperation.Post, DateTimeOffset.UtcNow, "hello", author, certificate,
            device.SignatureKey.PrivateKey).Encode();
    }

    public async Task SuspendAsync(string username)
    {
        using var response = await Operator.PostAsync(Server, $"/v1/admin/accounts/{username}/suspend", new { reason = "matrix" });
        await EnsureAsync(response);
    }

    public async Task TakeDownAsync(string publicChannel)
    {
        using var response = await Operator.PostAsync(Server, $"/v1/admin/public-channels/{publicChannel}/takedown", new { reason = "matrix" });
        await EnsureAsync(response);
    }

    // ---- Setup steps. ----

    private async Task RevokeAsync(TestUser user, TestDevice device)
    {
        byte[] challenge = await ChallengeAsync();
        await EnsureAsync(await user.Device.Client.PostAsJsonAsync($"/v1/devices/{device.Id}/revoke", user.RevokeBody(challenge, device.Id)));
    }

    private static async Task<TestGroup> PrivateChannelAsync(TestDevice admin)
    {
        TestGroup group = await TestGroup.CreateAsync(admin);
        await EnsureAsync(await admin.Client.PostAsJsonAsync("/v1/channels", new { groupId = group.IdText }));
        return group;
    }

    /// <summary>The admin commits the Add of a requested key package with its Welcome.</summary>
    private static async Task AddRequestedAsync(TestDevice admin, TestGroup channel, KeyPackage package, TestDevice subscriber)
    {
        await EnsureAsync(await channel.SendAsync(admin, TestMls.Commit(channel.Id, channel.Epoch, channel.Leaves[admin.Id], new Add(package)),
            TestMls.Welcome(package)));
        channel.Epoch++;
        uint leaf = 0;
        while (channel.Leaves.ContainsValue(leaf))
        {
            leaf++;
        }
        channel.Leaves[subscriber.Id] = leaf;
    }

    /// <summary>Bob sends an attachment; Alice's phone uploads the ciphertext it received as evidence and reports it.</summary>
    private async Task<string> ReportWithEvidenceAsync()
    {
        using var ciphertext = new MemoryStream();
        EncryptedAttachment encrypted = await AttachmentCipher.EncryptAsync(new MemoryStream(RandomNumberGenerator.GetBytes(2000)), ciphertext,
            chunkSize: 1024);
        byte[] bytes = ciphertext.ToArray();
        AttachmentReference reference = encrypted.ToReference(await TestBlobs.UploadAsync(Bob.Device, bytes, 4096), "application/octet-stream",
            "evidence.bin");
        string id = Guid.NewGuid().ToString("N");
        var (envelope, message) = TestFranking.Franked(Group, new AttachmentContent(reference));
        await EnsureAsync(await Group.SendAsync(Bob.Device, message, id: id));
        byte[] stamp = (await TestFranking.EntryAsync(Phone, id)).Stamp!;
        string evidence = await TestBlobs.UploadAsync(Phone, bytes, 4096);
        using var response = await Phone.Client.PostAsJsonAsync("/v1/reports", ReportBody(Group, id, envelope, stamp, evidence));
        return (await ReadAsync<ReportResponse>(response)).ReportId;
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        using (response)
        {
            await TestHttp.EnsureAsync(response);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        await TestHttp.EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<T>(TestHttp.Json))!;
    }
}

/// <summary>One cell of the matrix: a principal about to send one row's request. It sends as that principal would: with the
/// device's bearer credential, with none, or signed with the operator key.</summary>
public sealed partial class AuthorizationCell(AuthorizationWorld world, Principal principal, bool missingGroups = false)
{
    private readonly TestGroup _missingGroup = TestGroup.Unregistered(), _missingChannel = TestGroup.Unregistered();

    public AuthorizationWorld World { get; } = world;

    public Principal Principal { get; } = principal;

    /// <summary>The conversation the row acts on: the world's, or with <c>missingGroups</c> a group id the server never saw.</summary>
    public TestGroup Group => missingGroups ? _missingGroup : World.Group;

    /// <summary>Alice's private channel, or with <c>missingGroups</c> a group id the server never saw.</summary>
    public TestGroup Channel => missingGroups ? _missingChannel : World.Channel;

    /// <summary>The device the principal sends with, if any.</summary>
    public TestDevice? Device => World.DeviceOf(Principal);

    /// <summary>The principal's account, if it has one.</summary>
    public TestUser? Account => Device?.User;

    /// <summary>The identity private key the principal signs account statements with: its own account's (a revoked device, the
    /// anonymous caller and the operator hold none, so a fresh one). Signing for another account with it must be refused.</summary>
    public byte[] IdentityKey()
    {
        return Principal == Principal.RevokedDevice || Account is null ? TestUser.Create().Identity.PrivateKey : Account.Identity.PrivateKey;
    }

    public Task<Answer> JsonAsync(HttpMethod method, string pathAndQuery, object body)
        => SendAsync(method, pathAndQuery, JsonContent(body));

    public async Task<Answer> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery) { Content = content };
        configure?.Invoke(request);
        string? authorization = await AuthorizationFor(method.Method, pathAndQuery, content);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        using HttpClient client = World.Server.CreateClient();
        using HttpResponseMessage response = await client.SendAsync(request);
        return await Answer.OfAsync(response);
    }

    /// <summary>Opens the delivery WebSocket as the principal: 101 when the upgrade succeeds (the socket is then closed),
    /// otherwise the refusal's status, with the code a plain request with the same credential gets.</summary>
    public async Task<Answer> ConnectAsync()
    {
        const string path = "/v1/ws";
        string? authorization = await AuthorizationFor("GET", path, null);
        var client = World.Server.Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            if (authorization is not null)
            {
                request.Headers.Authorization = authorization;
            }
        };
        try
        {
            using var socket = await client.ConnectAsync(new Uri(World.Server.Server.BaseAddress, path), CancellationToken.None);
            socket.Abort();
            return new Answer(101, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Net.WebSockets.WebSocketException or HttpRequestException)
        {
            Match status = StatusInMessage().Match(ex.Message);
            if (!status.Success)
            {
                throw;
            }
            // The handshake failure carries no body: read the problem code from the same request without the upgrade, which
            // the gate answers with the same refusal before it looks for an upgrade.
            Answer plain = await SendAsync(HttpMethod.Get, path);
            int upgradeStatus = int.Parse(status.Value, CultureInfo.InvariantCulture);
            return plain.Status == upgradeStatus ? plain : new Answer(upgradeStatus, $"(plain request got {plain})");
        }
    }

    private async Task<string?> AuthorizationFor(string method, string pathAndQuery, HttpContent? content)
    {
        if (Principal == Principal.Operator)
        {
            byte[] body = content is null ? [] : await content.ReadAsByteArrayAsync();
            return World.Operator.HeaderFor(method, pathAndQuery, World.Server.Time.GetUtcNow().ToUnixTimeSeconds(), TestOperator.NewNonce(), body);
        }
        return Device is { } device ? (device.IsQueue ? "Queue " : "Bearer ") + device.Credential : null;
    }

    private static ByteArrayContent JsonContent(object body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, TestHttp.Json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    [GeneratedRegex(@"\b[1-5][0-9][0-9]\b")]
    private static partial Regex StatusInMessage();
}
