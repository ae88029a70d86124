using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Parley.Content;
using Parley.Mls.Crypto;
using Parley.Server.Accounts;
using Parley.Server.Moderation;
using Parley.Server.PublicChannels;

namespace Parley.Server.Tests;

/// <summary>Public channels: admin-signed, unencrypted posts that anyone reads without an account, and that the
/// operator can take down.</summary>
public sealed class PublicChannelTests : IAsyncLifetime
{
    private readonly TestOperator _operator = new();
    private readonly ServerFactory _server;

    public PublicChannelTests() => _server = new ServerFactory(settings: _operator.Settings);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_signed_post_is_readable_without_an_account_and_verifies_against_the_listed_admin_key()
    {
        var (alice, name) = await PublicChannelAsync();

        using var posted = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "Hello, world"));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        Assert.Equal(1, (await posted.Content.ReadFromJsonAsync<PublishResponse>(TestHttp.Json))!.Sequence);

        using HttpClient anonymous = _server.CreateClient();
        var info = (await anonymous.GetFromJsonAsync<PublicChannelResponse>($"/v1/public-channels/{name}", TestHttp.Json))!;
        var page = (await anonymous.GetFromJsonAsync<PublicPostsResponse>($"/v1/public-channels/{name}/posts?after=0", TestHttp.Json))!;
        Assert.True(info.Public);
        PublicChannelAdminEntry admin = Assert.Single(info.Admins);
        Assert.Equal(alice.Username, admin.Username);
        Assert.Equal(alice.Identity.PublicKey, admin.IdentityKey);
        PublicPostEntry entry = Assert.Single(page.Posts);
        PublicPost post = PublicPost.Decode(entry.Post);
        Assert.Equal(("p1", "Hello, world", false), (entry.PostId, post.Text, entry.Deleted));
        Assert.True(post.Verify(admin.IdentityKey));
    }

    [Fact]
    public async Task Posts_are_numbered_in_order_and_a_retry_is_not_stored_twice()
    {
        var (alice, name) = await PublicChannelAsync();
        PublicPost first = Sign(alice.Device, name, "first", "one");

        foreach (PublicPost post in new[] { first, Sign(alice.Device, name, "second", "two"), first })
        {
            using var response = await PublishAsync(alice.Device, post);
            await TestHttp.EnsureAsync(response);
        }
        using var reused = await PublishAsync(alice.Device, Sign(alice.Device, name, "first", "another text"));

        Assert.Equal((409, "post_exists"), Short(await TestHttp.ProblemAsync(reused)));
        var page = await PostsAsync(name);
        Assert.Equal([(1L, "first"), (2L, "second")], page.Posts.Select(p => (p.Sequence, p.PostId)));
        Assert.Equal(["second"], (await PostsAsync(name, "?after=1")).Posts.Select(p => p.PostId));
    }

    [Fact]
    public async Task A_forged_signature_is_refused()
    {
        var (alice, name) = await PublicChannelAsync();
        PublicPost signed = Sign(alice.Device, name, "p1", "the real text");

        using var response = await PublishAsync(alice.Device, signed with { Text = "forged text" });

        Assert.Equal((422, "invalid_post_signature"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Empty((await PostsAsync(name)).Posts);
    }

    [Fact]
    public async Task A_post_by_someone_who_is_not_an_admin_is_refused()
    {
        var (_, name) = await PublicChannelAsync();
        TestUser mallory = await TestUser.RegisterAsync(_server);

        using var response = await PublishAsync(mallory.Device, Sign(mallory.Device, name, "p1", "I am not an admin"));

        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(response)));
        Assert.Empty((await PostsAsync(name)).Posts);
    }

    [Fact]
    public async Task A_post_whose_device_certificate_is_not_the_authors_is_refused()
    {
        var (alice, name) = await PublicChannelAsync();
        var otherIdentity = TestMls.Suite.GenerateSignatureKeyPair();
        byte[] badCertificate = AccountSignatures.Sign(otherIdentity.PrivateKey,
            AccountSignatures.DeviceCertificate(alice.Username, 1, alice.Device.SignatureKey.PublicKey));
        PublicPost post = PublicPost.Sign(name, "p1", PublicPostOperation.Post, DateTimeOffset.UtcNow, "text", alice.Username,
            badCertificate, alice.Device.SignatureKey.PrivateKey);
        var strayKey = TestMls.Suite.GenerateSignatureKeyPair();
        PublicPost unregistered = PublicPost.Sign(name, "p2", PublicPostOperation.Post, DateTimeOffset.UtcNow, "text", alice.Username,
            AccountSignatures.Sign(alice.Identity.PrivateKey, AccountSignatures.DeviceCertificate(alice.Username, 1, strayKey.PublicKey)),
            strayKey.PrivateKey);

        using var badCert = await PublishAsync(alice.Device, post);
        using var strayDevice = await PublishAsync(alice.Device, unregistered);
        using var garbage = await alice.Device.Client.PostAsJsonAsync($"/v1/public-channels/{name}/posts", new { post = new byte[] { 1, 2 } });
        using var elsewhere = await alice.Device.Client.PostAsJsonAsync($"/v1/public-channels/{name}/posts",
            new { post = Sign(alice.Device, "another-channel", "p3", "text").Encode() });

        Assert.Equal((422, "invalid_post_signature"), Short(await TestHttp.ProblemAsync(badCert)));
        Assert.Equal((422, "invalid_post_signature"), Short(await TestHttp.ProblemAsync(strayDevice)));
        Assert.Equal((400, "malformed_public_post"), Short(await TestHttp.ProblemAsync(garbage)));
        Assert.Equal((400, "malformed_public_post"), Short(await TestHttp.ProblemAsync(elsewhere)));
        Assert.Empty((await PostsAsync(name)).Posts);
    }

    [Fact]
    public async Task The_author_edits_and_deletes_a_post_and_only_the_latest_signed_version_is_served()
    {
        var (alice, name) = await PublicChannelAsync();
        using (var posted = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "first draft")))
        {
            await TestHttp.EnsureAsync(posted);
        }

        using var edited = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "final text", PublicPostOperation.Edit));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        PublicPostEntry afterEdit = Assert.Single((await PostsAsync(name)).Posts);
        Assert.Equal(("final text", alice.Username, 1L), (PublicPost.Decode(afterEdit.Post).Text, PublicPost.Decode(afterEdit.Post).Author,
            afterEdit.Sequence));

        using var deleted = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "", PublicPostOperation.Delete));
        await TestHttp.EnsureAsync(deleted);
        PublicPostEntry afterDelete = Assert.Single((await PostsAsync(name)).Posts);
        Assert.True(afterDelete.Deleted);
        Assert.Equal(PublicPostOperation.Delete, PublicPost.Decode(afterDelete.Post).Operation);
        Assert.DoesNotContain("final text", System.Text.Encoding.UTF8.GetString(afterDelete.Post), StringComparison.Ordinal);

        using var editDeleted = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "back", PublicPostOperation.Edit));
        using var editMissing = await PublishAsync(alice.Device, Sign(alice.Device, name, "nope", "x", PublicPostOperation.Edit));
        Assert.Equal((409, "post_deleted"), Short(await TestHttp.ProblemAsync(editDeleted)));
        Assert.Equal((404, "post_not_found"), Short(await TestHttp.ProblemAsync(editMissing)));
    }

    [Fact]
    public async Task A_co_admin_can_neither_edit_nor_delete_another_admins_post_and_nothing_changes()
    {
        var (alice, name) = await PublicChannelAsync();
        TestUser bob = await TestUser.RegisterAsync(_server);
        await AddAdminAsync(alice.Device, name, bob.Username);
        PublicPost original = Sign(alice.Device, name, "p1", "alice's words");
        using (var posted = await PublishAsync(alice.Device, original))
        {
            await TestHttp.EnsureAsync(posted);
        }

        using var edit = await PublishAsync(bob.Device, Sign(bob.Device, name, "p1", "bob's words", PublicPostOperation.Edit));
        using var delete = await PublishAsync(bob.Device, Sign(bob.Device, name, "p1", "", PublicPostOperation.Delete));

        Assert.Equal((403, "not_post_author"), Short(await TestHttp.ProblemAsync(edit)));
        Assert.Equal((403, "not_post_author"), Short(await TestHttp.ProblemAsync(delete)));
        PublicPostEntry stored = Assert.Single((await PostsAsync(name)).Posts);
        Assert.Equal(original.Encode(), stored.Post);
        Assert.False(stored.Deleted);

        // Once the author deleted it, another admin's deletion is still not the author's.
        using (var deletedByAlice = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "", PublicPostOperation.Delete)))
        {
            await TestHttp.EnsureAsync(deletedByAlice);
        }
        using var deleteAgain = await PublishAsync(bob.Device, Sign(bob.Device, name, "p1", "", PublicPostOperation.Delete));
        Assert.Equal((403, "not_post_author"), Short(await TestHttp.ProblemAsync(deleteAgain)));
        Assert.Equal(alice.Username, PublicPost.Decode(Assert.Single((await PostsAsync(name)).Posts).Post).Author);
    }

    [Fact]
    public async Task Only_the_owner_adds_and_removes_admins_and_a_removed_admin_can_no_longer_post()
    {
        var (alice, name) = await PublicChannelAsync();
        TestUser bob = await TestUser.RegisterAsync(_server), carol = await TestUser.RegisterAsync(_server);
        PublicChannelResponse withBob = await AddAdminAsync(alice.Device, name, bob.Username);
        Assert.Equal([alice.Username, bob.Username], withBob.Admins.Select(a => a.Username));

        using var byBob = await bob.Device.Client.PostAsJsonAsync($"/v1/public-channels/{name}/admins", new { username = carol.Username });
        using var removeOwner = await alice.Device.Client.DeleteAsync($"/v1/public-channels/{name}/admins/{alice.Username}");
        using var removeBob = await alice.Device.Client.DeleteAsync($"/v1/public-channels/{name}/admins/{bob.Username}");
        using var unknown = await alice.Device.Client.PostAsJsonAsync($"/v1/public-channels/{name}/admins", new { username = "nobody-here" });

        Assert.Equal((403, "not_channel_owner"), Short(await TestHttp.ProblemAsync(byBob)));
        Assert.Equal((409, "owner_cannot_be_removed"), Short(await TestHttp.ProblemAsync(removeOwner)));
        await TestHttp.EnsureAsync(removeBob);
        Assert.Equal((404, "account_not_found"), Short(await TestHttp.ProblemAsync(unknown)));
        using var postByBob = await PublishAsync(bob.Device, Sign(bob.Device, name, "p1", "still here?"));
        Assert.Equal((403, "not_channel_admin"), Short(await TestHttp.ProblemAsync(postByBob)));
    }

    [Fact]
    public async Task Anonymous_views_are_counted_and_the_server_keeps_no_subscriptions()
    {
        var (alice, name) = await PublicChannelAsync();
        TestUser bob = await TestUser.RegisterAsync(_server);
        using (var posted = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "count me")))
        {
            await TestHttp.EnsureAsync(posted);
        }
        using HttpClient anonymous = _server.CreateClient();

        for (int i = 0; i < 3; i++)
        {
            using var viewed = await anonymous.PostAsync($"/v1/public-channels/{name}/posts/p1/views", null);
            Assert.Equal(HttpStatusCode.NoContent, viewed.StatusCode);
        }
        using var missing = await anonymous.PostAsync($"/v1/public-channels/{name}/posts/p2/views", null);
        // Subscribing is the reader's own business: there is no endpoint that would store it.
        using var subscribe = await bob.Device.Client.PutAsync($"/v1/public-channels/{name}/subscription", null);

        Assert.Equal((404, "post_not_found"), Short(await TestHttp.ProblemAsync(missing)));
        Assert.True(subscribe.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed);
        Assert.Equal(3, Assert.Single((await PostsAsync(name)).Posts).Views);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(_server.DataDirectory, Parley.Server.Storage.Sqlite.SqliteDatabase.FileName)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'public_subscriptions'";
        Assert.Equal(0L, (long)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task Names_are_unique_and_checked()
    {
        var (alice, name) = await PublicChannelAsync();

        using var taken = await alice.Device.Client.PostAsJsonAsync("/v1/public-channels", new { name = name.ToUpperInvariant(), title = "Again" });
        using var invalid = await alice.Device.Client.PostAsJsonAsync("/v1/public-channels", new { name = "no spaces", title = "Bad" });
        using HttpClient anonymous = _server.CreateClient();
        using var missing = await anonymous.GetAsync("/v1/public-channels/nothing-here");

        Assert.Equal((409, "public_channel_exists"), Short(await TestHttp.ProblemAsync(taken)));
        Assert.Equal((400, "invalid_channel_name"), Short(await TestHttp.ProblemAsync(invalid)));
        Assert.Equal((404, "public_channel_not_found"), Short(await TestHttp.ProblemAsync(missing)));
    }

    [Fact]
    public async Task A_channel_taken_down_through_the_operator_endpoint_is_gone_for_readers_and_audited()
    {
        var (alice, name) = await PublicChannelAsync();
        using (var posted = await PublishAsync(alice.Device, Sign(alice.Device, name, "p1", "illegal content")))
        {
            await TestHttp.EnsureAsync(posted);
        }
        using var unsigned = await alice.Device.Client.PostAsJsonAsync($"/v1/admin/public-channels/{name}/takedown", new { reason = "x" });
        Assert.Equal(401, (int)unsigned.StatusCode);

        using var takedown = await _operator.PostAsync(_server, $"/v1/admin/public-channels/{name}/takedown", new { reason = "court order 42" });
        Assert.Equal(HttpStatusCode.NoContent, takedown.StatusCode);

        using HttpClient anonymous = _server.CreateClient();
        using var info = await anonymous.GetAsync($"/v1/public-channels/{name}");
        using var posts = await anonymous.GetAsync($"/v1/public-channels/{name}/posts");
        using var newPost = await PublishAsync(alice.Device, Sign(alice.Device, name, "p2", "more"));
        Assert.Equal((410, "channel_taken_down"), Short(await TestHttp.ProblemAsync(info)));
        Assert.Equal((410, "channel_taken_down"), Short(await TestHttp.ProblemAsync(posts)));
        Assert.Equal((410, "channel_taken_down"), Short(await TestHttp.ProblemAsync(newPost)));
        var audit = await TestOperator.ReadAsync<AuditLogResponse>(await _operator.GetAsync(_server, "/v1/admin/audit?after=0"));
        AuditEntryResponse entry = Assert.Single(audit.Entries, e => e.Action == "public_channel.takedown");
        Assert.Equal((name, "court order 42"), (entry.Target, entry.Reason));

        using var restored = await _operator.PostAsync(_server, $"/v1/admin/public-channels/{name}/restore", new { reason = "appeal upheld" });
        Assert.Equal(HttpStatusCode.NoContent, restored.StatusCode);
        Assert.Single((await PostsAsync(name)).Posts);
        audit = await TestOperator.ReadAsync<AuditLogResponse>(await _operator.GetAsync(_server, "/v1/admin/audit?after=0"));
        Assert.Contains(audit.Entries, e => e.Action == "public_channel.restore" && e.Target == name);
    }

    [Fact]
    public async Task A_post_taken_down_by_the_operator_is_omitted_and_audited()
    {
        var (alice, name) = await PublicChannelAsync();
        foreach (string id in new[] { "keep", "remove" })
        {
            using var posted = await PublishAsync(alice.Device, Sign(alice.Device, name, id, "text of " + id));
            await TestHttp.EnsureAsync(posted);
        }

        using var takedown = await _operator.PostAsync(_server, $"/v1/admin/public-channels/{name}/posts/remove/takedown", new { reason = "spam" });
        using var again = await _operator.PostAsync(_server, $"/v1/admin/public-channels/{name}/posts/remove/takedown", new { reason = "spam" });
        using var missing = await _operator.PostAsync(_server, $"/v1/admin/public-channels/{name}/posts/nothing/takedown", new { reason = "spam" });

        Assert.Equal(HttpStatusCode.NoContent, takedown.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal((404, "post_not_found"), Short(await TestHttp.ProblemAsync(missing)));
        Assert.Equal(["keep"], (await PostsAsync(name)).Posts.Select(p => p.PostId));
        using var edit = await PublishAsync(alice.Device, Sign(alice.Device, name, "remove", "sneaky", PublicPostOperation.Edit));
        Assert.Equal((404, "post_not_found"), Short(await TestHttp.ProblemAsync(edit)));
        var audit = await TestOperator.ReadAsync<AuditLogResponse>(await _operator.GetAsync(_server, "/v1/admin/audit?after=0"));
        Assert.Single(audit.Entries, e => e.Action == "public_post.takedown" && e.Target == $"{name}/remove" && e.Reason == "spam");
    }

    [Fact]
    public async Task Anonymous_readers_are_rate_limited_per_address()
    {
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:RequestsPerMinute"] = "5" });
        var (_, name) = await PublicChannelAsync(server);
        using HttpClient anonymous = server.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            using var response = await anonymous.GetAsync($"/v1/public-channels/{name}/posts");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal((429, "rate_limited"), Short(await TestHttp.ProblemAsync(response)));
                Assert.True(response.Headers.RetryAfter is not null);
            }
        }

        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    private Task<(TestUser Owner, string Name)> PublicChannelAsync() => PublicChannelAsync(_server);

    private static async Task<(TestUser Owner, string Name)> PublicChannelAsync(ServerFactory server)
    {
        TestUser owner = await TestUser.RegisterAsync(server);
        string name = "news-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await owner.Device.Client.PostAsJsonAsync("/v1/public-channels",
            new { name, title = "News", description = "Announcements, signed and public." });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<PublicChannelResponse>(TestHttp.Json))!;
        Assert.Equal((name, "News", true), (created.Name, created.Title, created.Public));
        return (owner, name);
    }

    private static PublicPost Sign(TestDevice device, string channel, string postId, string text,
        PublicPostOperation operation = PublicPostOperation.Post)
    {
        string author = device.User.Username;
        byte[] certificate = AccountSignatures.Sign(device.User.Identity.PrivateKey,
            AccountSignatures.DeviceCertificate(author, 1, device.SignatureKey.PublicKey));
        return PublicPost.Sign(channel, postId, operation, DateTimeOffset.UtcNow, text, author, certificate, device.SignatureKey.PrivateKey);
    }

    private static Task<HttpResponseMessage> PublishAsync(TestDevice device, PublicPost post)
        => device.Client.PostAsJsonAsync($"/v1/public-channels/{post.Channel}/posts", new { post = post.Encode() });

    private async Task<PublicPostsResponse> PostsAsync(string name, string query = "")
    {
        using HttpClient anonymous = _server.CreateClient();
        return (await anonymous.GetFromJsonAsync<PublicPostsResponse>($"/v1/public-channels/{name}/posts{query}", TestHttp.Json))!;
    }

    private static async Task<PublicChannelResponse> AddAdminAsync(TestDevice owner, string name, string username)
    {
        using var response = await owner.Client.PostAsJsonAsync($"/v1/public-channels/{name}/admins", new { username });
        await TestHttp.EnsureAsync(response);
        return (await response.Content.ReadFromJsonAsync<PublicChannelResponse>(TestHttp.Json))!;
    }

    private static (int, string) Short((int Status, string Code, System.Text.Json.JsonElement Body) problem) => (problem.Status, problem.Code);
}
