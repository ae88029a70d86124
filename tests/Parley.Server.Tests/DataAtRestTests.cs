using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Parley.Mls.Codec;
using Parley.Mls.Messages;
using Parley.Server.Blobs;
using Parley.Server.Franking;
using Parley.Server.Mailboxes;
using Parley.Server.Storage.Sqlite;
using Xunit;

namespace Parley.Server.Tests;

/// <summary>What a copy of the data folder tells once messages are delivered (docs/privacy.md): read from the files
/// themselves, free pages and WAL included, not through the server's queries.</summary>
public sealed class DataAtRestTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Once_delivered_and_swept_no_message_id_payload_or_stamp_is_left_in_the_database_or_its_wal()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 3);
        TestUser alice = users[0], bob = users[1];
        var sent = new List<(string Id, byte[] Message)>();
        for (int i = 0; i < 20; i++)
        {
            string id = $"delivered-{Guid.NewGuid():N}";
            byte[] message = TestFranking.Text(group, $"message {i}").Message;
            await TestHttp.EnsureAsync(await group.SendAsync(users[i % 2].Device, message, id: id));
            sent.Add((id, message));
        }
        var stamps = new List<byte[]>();
        foreach (TestUser user in users)
        {
            stamps.AddRange((await TestMailbox.ReadAsync(user.Device)).Where(e => e.Stamp is not null).Select(e => e.Stamp!));
        }
        Assert.NotEmpty(stamps);
        await TestConversation.DrainAsync(users);
        // One message carol has not fetched yet: its copy stays, as delivery needs.
        string waiting = $"waiting-{Guid.NewGuid():N}";
        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, TestFranking.Text(group, "later").Message, id: waiting));
        await TestConversation.DrainAsync(alice, bob);

        await Sweep().SweepAsync(CancellationToken.None);

        byte[] folder = ReadDataFolder();
        foreach (var (id, message) in sent)
        {
            Assert.False(Contains(folder, System.Text.Encoding.UTF8.GetBytes(id)), $"The id {id} of a delivered message is still on disk.");
            Assert.False(Contains(folder, message.AsSpan(message.Length - 48)), $"The payload of {id} is still on disk.");
        }
        foreach (byte[] stamp in stamps)
        {
            Assert.False(Contains(folder, stamp.AsSpan(stamp.Length - 32)), "A delivered message's stamp is still on disk.");
        }
        Assert.True(Contains(folder, System.Text.Encoding.UTF8.GetBytes(waiting)), "The undelivered copy must be kept.");
        Assert.Equal(0, new FileInfo(Path.Combine(_server.DataDirectory, SqliteDatabase.FileName + "-wal")).Length);
        // The franking key that opens stamps lives apart.
        Assert.False(File.Exists(Path.Combine(_server.DataDirectory, FrankingStamper.SecretName)));
    }

    [Fact]
    public async Task After_sealed_sends_nothing_in_the_database_or_its_wal_names_the_sending_device()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 3);
        using HttpClient anonymous = _server.CreateClient();
        var sent = new List<(string Id, byte[] Message)>();
        for (int i = 0; i < 10; i++)
        {
            string id = $"sealed-{Guid.NewGuid():N}";
            byte[] message = TestFranking.Text(group, $"sealed {i}").Message;
            await TestHttp.EnsureAsync(await group.SendSealedAsync(anonymous, message, id: id));
            sent.Add((id, message));
        }
        // Undelivered, a sealed copy keeps its id, but no record names who sent it.
        string waiting = $"sealed-waiting-{Guid.NewGuid():N}";
        await TestHttp.EnsureAsync(await group.SendSealedAsync(anonymous, TestFranking.Text(group, "later").Message, id: waiting));
        await TestConversation.DrainAsync(users[0], users[1]);
        foreach (var entry in (await TestMailbox.ReadAsync(users[2].Device)).Where(e => e.Id != waiting))
        {
            await TestMailbox.AckAsync(users[2].Device, entry.Id);
        }

        await Sweep().SweepAsync(CancellationToken.None);

        byte[] folder = ReadDataFolder();
        foreach (var (id, message) in sent.Append((waiting, [])))
        {
            foreach (TestDevice device in users.SelectMany(u => u.Devices))
            {
                Assert.False(Contains(folder, Groups.GroupSubmission.SendKeyOf(new Devices.DeviceId(device.Id), id)),
                    $"A send record names a device as the sender of {id}.");
            }
            if (id != waiting)
            {
                Assert.False(Contains(folder, System.Text.Encoding.UTF8.GetBytes(id)), $"The id {id} of a delivered message is still on disk.");
                Assert.False(Contains(folder, message.AsSpan(message.Length - 48)), $"The payload of {id} is still on disk.");
            }
        }
        Assert.True(Contains(folder, System.Text.Encoding.UTF8.GetBytes(waiting)), "The undelivered copy must be kept.");
    }

    [Fact]
    public async Task After_a_channel_scenario_no_file_or_log_line_links_a_subscriber_to_its_device()
    {
        TestUser alice = await TestUser.RegisterAsync(_server), carol = await TestUser.RegisterAsync(_server), dave = await TestUser.RegisterAsync(_server);
        TestGroup channel = await TestGroup.CreateAsync(alice.Device);
        await TestHttp.EnsureAsync(await alice.Device.Client.PostAsJsonAsync("/v1/channels", new { groupId = channel.IdText }));
        // Carol and Dave use their devices as people do (key packages), and subscribe through anonymous queues.
        await carol.Device.UploadKeyPackagesAsync(2);
        await dave.Device.UploadKeyPackagesAsync(2);
        TestDevice carolQueue = TestDevice.Queue(_server, carol), daveQueue = TestDevice.Queue(_server, dave);
        string open = await InviteAsync(alice.Device, channel, approval: false), approval = await InviteAsync(alice.Device, channel, approval: true);
        KeyPackage carolPackage = TestMls.KeyPackageRecord(
            System.Text.Encoding.ASCII.GetString(Channels.PseudonymousCredential.IdentityFor(carolQueue.SignatureKey.PublicKey)), carolQueue.SignatureKey);
        KeyPackage davePackage = TestMls.KeyPackageRecord(
            System.Text.Encoding.ASCII.GetString(Channels.PseudonymousCredential.IdentityFor(daveQueue.SignatureKey.PublicKey)), daveQueue.SignatureKey);
        await TestHttp.EnsureAsync(await carolQueue.Client.PostAsJsonAsync($"/v1/invites/{open}/requests",
            new { keyPackage = new MlsMessage(carolPackage).ToBytes() }));
        using var asked = await daveQueue.Client.PostAsJsonAsync($"/v1/invites/{approval}/requests", new { keyPackage = new MlsMessage(davePackage).ToBytes() });
        string daveRequest = (await asked.Content.ReadFromJsonAsync<Channels.JoinRequestResponse>(TestHttp.Json))!.RequestId;
        await TestHttp.EnsureAsync(await channel.SendAsync(alice.Device, TestMls.Commit(channel.Id, channel.Epoch, 0, new Add(carolPackage)),
            TestMls.Welcome(carolPackage)));
        channel.Epoch++;
        await TestHttp.EnsureAsync(await alice.Device.Client.DeleteAsync($"/v1/channels/{channel.IdText}/requests/{daveRequest}"));
        for (int i = 0; i < 3; i++)
        {
            await TestHttp.EnsureAsync(await channel.SendAsync(alice.Device, TestMls.Application(channel.Id, channel.Epoch), id: $"post-{i}"));
            await TestHttp.EnsureAsync(await carolQueue.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/posts/post-{i}/views",
                new { token = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) }));
        }
        foreach (var entry in await TestMailbox.ReadAsync(carolQueue))
        {
            await TestMailbox.AckAsync(carolQueue, entry.Id);
        }
        await Sweep().SweepAsync(CancellationToken.None);

        byte[] folder = ReadDataFolder();
        string[] subscriberSide = [channel.IdText, carolQueue.Id, daveQueue.Id];
        string[] deviceSide = [carol.Device.Id, dave.Device.Id, carol.Username, dave.Username];
        Assert.True(Contains(folder, System.Text.Encoding.ASCII.GetBytes(carolQueue.Id)), "The scenario stored no queue.");
        foreach (string device in deviceSide)
        {
            // Wherever a subscriber's device or name is stored (its own rows, freed pages, the WAL), nothing of the channel or
            // its queues is stored beside it: a row that held both would have them within a few dozen bytes.
            byte[] needle = System.Text.Encoding.ASCII.GetBytes(device);
            for (int at = folder.AsSpan().IndexOf(needle); at >= 0; at = NextIndex(folder, needle, at))
            {
                var near = folder.AsSpan(Math.Max(0, at - 200), Math.Min(folder.Length, at + 200) - Math.Max(0, at - 200));
                foreach (string subscriber in subscriberSide)
                {
                    Assert.False(near.IndexOf(System.Text.Encoding.ASCII.GetBytes(subscriber)) >= 0,
                        $"{device} is stored beside {subscriber}.");
                }
            }
        }
        // The logs name none of them, nor the credentials.
        Assert.NotEmpty(_server.LogLines);
        foreach (string line in _server.LogLines)
        {
            foreach (string secret in subscriberSide.Concat(deviceSide).Append(carolQueue.Credential).Append(open))
            {
                Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
            }
        }
    }

    private static int NextIndex(byte[] haystack, byte[] needle, int after)
    {
        int next = haystack.AsSpan(after + 1).IndexOf(needle);
        return next < 0 ? -1 : after + 1 + next;
    }

    private static async Task<string> InviteAsync(TestDevice admin, TestGroup channel, bool approval)
    {
        using var response = await admin.Client.PostAsJsonAsync($"/v1/channels/{channel.IdText}/invites", new { approval });
        return (await response.Content.ReadFromJsonAsync<Channels.InviteCreatedResponse>(TestHttp.Json))!.Token;
    }

    [Fact]
    public async Task Stored_expiry_times_are_whole_hours_not_the_second_a_message_was_sent()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        _server.Time.Advance(TimeSpan.FromSeconds(1234));
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestFranking.Text(group, "hi").Message, id: "timed"));

        using var connection = new SqliteConnection($"Data Source={Path.Combine(_server.DataDirectory, SqliteDatabase.FileName)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        foreach (string table in new[] { "mailbox", "accepted_sends" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT expires_at FROM {table}";
            using var reader = command.ExecuteReader();
            int rows = 0;
            while (reader.Read())
            {
                Assert.Equal(0, reader.GetInt64(0) % 3600);
                rows++;
            }
            Assert.True(rows > 0, $"{table} has no rows to check.");
        }
        // Rounded up, never down: nothing expires before its retention.
        Assert.Single(await TestMailbox.ReadAsync(users[1].Device), e => e.Id == "timed");
    }

    [Fact]
    public void The_data_folder_and_its_database_are_for_the_servers_user_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        _ = _server.Services.GetRequiredService<SqliteDatabase>();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_server.DataDirectory));
        foreach (string file in Directory.GetFiles(_server.DataDirectory, SqliteDatabase.FileName + "*"))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public async Task Attachment_files_and_their_folders_are_for_the_servers_user_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var files = _server.Services.GetRequiredService<BlobFiles>();
        BlobKey key = BlobKey.Of(BlobId.New());
        await files.AppendAsync(key, 0, new MemoryStream(new byte[100]), 1000);

        string path = files.PathOf(key);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(files.Root));
    }

    private MailboxExpiry Sweep()
        => _server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<MailboxExpiry>().Single();

    private byte[] ReadDataFolder()
    {
        using var all = new MemoryStream();
        foreach (string file in Directory.GetFiles(_server.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }
        return all.ToArray();
    }

    private static bool Contains(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
