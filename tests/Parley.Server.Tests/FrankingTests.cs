using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Parley.Server.Accounts;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.Groups;
using Parley.Server.Mailboxes;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Tests;

public sealed class FrankingTests : IAsyncLifetime
{
    private readonly ServerFactory _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_franked_message_is_delivered_to_each_device_with_a_stamp_binding_sender_recipient_group_and_time()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2, devicesPerUser: 2);
        TestUser alice = users[0], bob = users[1];
        var (envelope, message) = TestFranking.Text(group, "hello bob");
        DateTimeOffset before = _server.Time.GetUtcNow();

        await TestHttp.EnsureAsync(await group.SendAsync(alice.Device, message, id: "m-1"));

        var stamps = new List<byte[]>();
        foreach (TestDevice device in bob.Devices)
        {
            MailboxEntry entry = await TestFranking.EntryAsync(device, "m-1");
            FrankingStamp stamp = TestFranking.Open(_server, entry);
            Assert.Equal(Parley.Content.Franking.Commit(envelope[^32..], envelope[..^34]), stamp.Commitment);
            Assert.Equal(new DeviceId(alice.Device.Id), stamp.SenderDevice);
            Assert.Equal(new DeviceId(device.Id), stamp.RecipientDevice);
            Assert.Equal(group.IdText, stamp.GroupId.Value);
            Assert.Equal("m-1", stamp.MessageId);
            Assert.Equal(before.ToUnixTimeMilliseconds(), stamp.AcceptedAt.ToUnixTimeMilliseconds());
            Account sender = (await _server.Services.GetRequiredService<IAccountStore>().FindByIdAsync(stamp.SenderAccount, default))!;
            Assert.Equal(alice.Username, sender.Username.Value);
            stamps.Add(entry.Stamp!);
        }
        // Each recipient device gets a stamp of its own, sealed under a fresh nonce.
        Assert.NotEqual(stamps[0], stamps[1]);
    }

    [Fact]
    public async Task The_stamp_is_also_in_the_websocket_frame()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        using var socket = await TestSockets.ConnectAsync(_server, users[1].Device);
        var (_, message) = TestFranking.Text(group, "over the socket");

        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, message, id: "ws-1"));

        MailboxEntry frame = await TestSockets.ReceiveMessageAsync(socket);
        Assert.Equal("ws-1", frame.Id);
        Assert.Equal(new DeviceId(users[1].Device.Id), TestFranking.Open(_server, frame).RecipientDevice);
    }

    [Fact]
    public async Task Unfranked_application_messages_commits_and_welcomes_carry_no_stamp()
    {
        var (users, group) = await TestConversation.CreateAsync(_server, 2);
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestMls.Application(group.Id, group.Epoch), id: "plain"));
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestMls.Commit(group.Id, group.Epoch, 0), id: "commit"));

        using var raw = await users[1].Device.Client.GetAsync("/v1/mailbox");
        string json = await raw.Content.ReadAsStringAsync();
        var entries = (await TestMailbox.ReadAsync(users[1].Device)).ToList();
        Assert.Equal(["plain", "commit"], entries.Select(e => e.Id));
        Assert.All(entries, e => Assert.Null(e.Stamp));
        // The field is there, as null, so clients can rely on it.
        Assert.Contains("\"stamp\":null", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stamp_opens_only_under_the_key_that_sealed_it_and_not_after_any_change()
    {
        FrankingStamper stamper = _server.Services.GetRequiredService<FrankingStamper>();
        var stamp = new FrankingStamp(RandomNumberGenerator.GetBytes(32), AccountId.New(), new DeviceId(new string('a', 32)),
            new DeviceId(new string('b', 32)), GroupId.FromBytes([1, 2, 3]), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), "id-1");
        byte[] sealedStamp = stamper.Seal(stamp);

        Assert.True(stamper.TryOpen(sealedStamp, out FrankingStamp? opened));
        Assert.Equal(stamp, opened);
        for (int i = 0; i < sealedStamp.Length; i++)
        {
            byte[] altered = (byte[])sealedStamp.Clone();
            altered[i] ^= 0x01;
            Assert.False(stamper.TryOpen(altered, out _));
        }
        using FrankingStamper other = OtherStamper();
        Assert.False(other.TryOpen(sealedStamp, out _));
    }

    [Fact]
    public async Task The_franking_key_is_created_once_in_a_private_file_apart_from_the_data_folder_and_survives_a_restart()
    {
        string directory;
        byte[] stamp;
        await using (var first = new ServerFactory { KeepData = true })
        {
            directory = first.DataDirectory;
            var (users, group) = await TestConversation.CreateAsync(first, 2);
            await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestFranking.Text(group, "x").Message, id: "k"));
            stamp = (await TestFranking.EntryAsync(users[1].Device, "k")).Stamp!;
        }
        // A copy of the data folder alone does not open the stamps in it.
        Assert.False(File.Exists(Path.Combine(directory, FrankingStamper.SecretName)));
        string keyFile = Path.Combine(directory + "-secrets", FrankingStamper.SecretName);
        Assert.Equal(FrankingStamper.KeySize, new FileInfo(keyFile).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory + "-secrets"));
        }

        await using var second = new ServerFactory(directory);
        Assert.True(second.Services.GetRequiredService<FrankingStamper>().TryOpen(stamp, out _));
    }

    [Fact]
    public async Task A_franking_key_an_older_server_kept_in_the_data_folder_is_moved_out_and_still_opens_its_stamps()
    {
        string directory;
        byte[] stamp;
        await using (var first = new ServerFactory { KeepData = true })
        {
            directory = first.DataDirectory;
            var (users, group) = await TestConversation.CreateAsync(first, 2);
            await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestFranking.Text(group, "x").Message, id: "old"));
            stamp = (await TestFranking.EntryAsync(users[1].Device, "old")).Stamp!;
        }
        // Where an older server kept it.
        File.Move(Path.Combine(directory + "-secrets", FrankingStamper.SecretName), Path.Combine(directory, FrankingStamper.SecretName));

        await using var second = new ServerFactory(directory);
        Assert.True(second.Services.GetRequiredService<FrankingStamper>().TryOpen(stamp, out _));
        Assert.False(File.Exists(Path.Combine(directory, FrankingStamper.SecretName)));
        Assert.True(File.Exists(Path.Combine(directory + "-secrets", FrankingStamper.SecretName)));
    }

    [Fact]
    public async Task A_configured_franking_key_is_used_instead_of_the_file()
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var server = new ServerFactory(settings: new Dictionary<string, string?> { ["Parley:FrankingKey"] = key });
        var (users, group) = await TestConversation.CreateAsync(server, 2);
        await TestHttp.EnsureAsync(await group.SendAsync(users[0].Device, TestFranking.Text(group, "x").Message, id: "cfg"));
        byte[] stamp = (await TestFranking.EntryAsync(users[1].Device, "cfg")).Stamp!;

        using var sameKey = new FrankingStamper(Options.Create(new ParleyServerOptions { FrankingKey = key }), new NoSecrets());
        Assert.True(sameKey.TryOpen(stamp, out _));
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, FrankingStamper.SecretName)));
    }

    [Fact]
    public async Task A_version_1_database_gains_the_stamp_column_once_and_keeps_its_messages()
    {
        var (directory, path) = ServerFactory.Version1Database(
            "INSERT INTO mailbox (device_id, message_id, payload, expires_at) VALUES ('d', 'old', x'01', 9999999999)");

        for (int start = 0; start < 2; start++)
        {
            await using var server = new ServerFactory(directory) { KeepData = true };
            server.Services.GetRequiredService<Parley.Server.Storage.IStorageEngine>();
        }

        using (var upgraded = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            upgraded.Open();
            Assert.Equal((long)SqliteMigrations.Version, upgraded.Scalar("SELECT version FROM schema_version"));
            Assert.Equal(1L, upgraded.Scalar("SELECT count(*) FROM schema_version"));
            Assert.Equal(1L, upgraded.Scalar("SELECT count(*) FROM pragma_table_info('mailbox') WHERE name = 'stamp'"));
            Assert.Equal("old", upgraded.Scalar("SELECT message_id FROM mailbox WHERE stamp IS NULL"));
        }
        ServerFactory.DeleteQuietly(directory);
    }

    private static FrankingStamper OtherStamper()
        => new(Options.Create(new ParleyServerOptions { FrankingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }),
            new NoSecrets());

    private sealed class NoSecrets : IServerSecrets
    {
        public byte[] GetOrCreate(string name, Func<byte[]> create) => throw new InvalidOperationException("A configured key is used.");
    }
}
