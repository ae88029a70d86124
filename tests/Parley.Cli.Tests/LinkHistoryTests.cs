using Parley.Client;
using Parley.Client.Backup;
using Parley.Content;

namespace Parley.Cli.Tests;

/// <summary>History for linked devices (docs/device-linking.md, "History") between real devices through the real server
/// process: the approving device leaves an encrypted history bundle in a blob, the new device fetches it, deletes it from
/// the server, checks it whole and shows the earlier history of its 1:1 chats, groups and channels.</summary>
public sealed class LinkHistoryTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    public void Dispose() => _devices.Dispose();

    private string BlobFolder => Path.Combine(fixture.Server.DataDirectory, "blobs");

    private List<string> BlobFiles()
        => Directory.Exists(BlobFolder) ? Directory.GetFiles(BlobFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList() : [];

    /// <summary>Records every report, in order, on the reporting thread.</summary>
    private sealed class Reports : IProgress<HistoryProgress>
    {
        public List<HistoryProgress> All { get; } = [];

        public void Report(HistoryProgress value)
        {
            lock (All)
            {
                All.Add(value);
            }
        }

        public HistoryProgress Last(HistoryStage stage) => All.Last(p => p.Stage == stage);
    }

    private async Task<(ParleyClient Laptop, ParleyClient Bob)> AccountsAsync()
    {
        var laptop = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        return (laptop, bob);
    }

    private async Task<(ParleyClient Tablet, string Approval)> LinkAsync(ParleyClient approver, bool withHistory, Reports? progress = null,
        Action? beforeFetch = null)
    {
        using var request = ParleyClient.BeginLink();
        string approval = await approver.ApproveDeviceAsync(request.Code, withHistory, progress);
        beforeFetch?.Invoke();
        var tablet = await ParleyClient.CompleteLinkAsync(_devices.Home(approver.Username + "-tablet-" + Guid.NewGuid().ToString("N")[..4]), Cli.Passphrase,
            request, approval, Devices.Options);
        return (tablet, approval);
    }

    [Fact]
    public async Task A_linked_device_shows_the_earlier_history_of_chats_groups_and_channels_and_talks_afterwards()
    {
        var (laptop, bob) = await AccountsAsync();
        var chat = await laptop.OpenDirectAsync(bob.Username);
        var hello = await laptop.SendTextAsync(chat.Id, "hello bob");
        await laptop.EditAsync(chat.Id, hello.MessageId, "hello bob, edited");
        await bob.SyncAsync();
        var bobChat = bob.GetConversation(laptop.Username);
        await bob.ReactAsync(bobChat.Id, hello.MessageId, "👍");
        await bob.ReplyAsync(bobChat.Id, hello.MessageId, "hi alice");
        var team = await laptop.CreateGroupAsync("team", [bob.Username]);
        await laptop.SendTextAsync(team.Id, "team news");
        var channel = await laptop.CreateChannelAsync("news" + Guid.NewGuid().ToString("N")[..6]);
        await laptop.PostAsync(channel, "first post");
        await laptop.SyncAsync();
        var before = BlobFiles();

        var sent = new Reports();
        using var request = ParleyClient.BeginLink();
        string approval = await laptop.ApproveDeviceAsync(request.Code, withHistory: true, sent);
        var waiting = BlobFiles().Except(before).ToList();
        Assert.Single(waiting);
        var tablet = await ParleyClient.CompleteLinkAsync(_devices.Home(laptop.Username + "-tablet"), Cli.Passphrase, request, approval, Devices.Options);
        try
        {
            Assert.True(tablet.HasLinkHistory);
            var received = new Reports();
            var history = await tablet.ReceiveLinkHistoryAsync(received);
            Assert.NotNull(history);
            Assert.Equal(laptop.DeviceId, history.From);
            Assert.Equal(3, history.Conversations);
            Assert.False(tablet.HasLinkHistory);

            // The bundle is gone from the server once fetched, and its key never reached the server.
            Assert.Equal(before, BlobFiles());
            Assert.Null(await tablet.ReceiveLinkHistoryAsync());

            // Progress on both sides: every step reported, each ending complete.
            Assert.Equal([HistoryStage.Packing, HistoryStage.Uploading], sent.All.Select(p => p.Stage).Distinct());
            Assert.Equal([HistoryStage.Downloading, HistoryStage.Checking, HistoryStage.Importing], received.All.Select(p => p.Stage).Distinct());
            foreach (var last in sent.All.Concat(received.All).GroupBy(p => p.Stage).Select(g => g.Last()))
            {
                Assert.True(last.Done == last.Total && last.Total > 0, last.ToString());
            }

            // The 1:1 chat with its senders, times, edit, reply and reaction; the group; the channel.
            var messages = tablet.History(tablet.GetConversation(bob.Username).Id).ToList();
            Assert.Equal(["hello bob, edited", "hi alice"], messages.Select(m => m.Text));
            Assert.Equal([laptop.Username, bob.Username], messages.Select(m => m.SenderUsername));
            Assert.Equal(laptop.History(chat.Id)[0].SentAt, messages[0].SentAt);
            Assert.True(messages[0].IsOutgoing);
            Assert.Equal(bob.Username, Assert.Single(messages[0].State.Reactions).Reactor);
            Assert.Equal(hello.MessageId, Assert.IsType<ReplyContent>(messages[1].Content).InReplyTo);
            Assert.Equal(["team news"], Devices.Texts(tablet, "team"));
            Assert.Equal(["first post"], Devices.Texts(tablet, channel.Conversation));

            // The laptop adds the tablet to every conversation on its next sync; then messages flow both ways.
            await laptop.SyncAsync();
            await tablet.SyncAsync();
            Assert.True(tablet.FindChannel(channel.Name) is { IsActive: true, IsAdmin: true });
            await tablet.SendTextAsync(tablet.GetConversation(bob.Username).Id, "from the tablet");
            await tablet.SendTextAsync(tablet.GetConversation("team").Id, "team from the tablet");
            await bob.SyncAsync();
            Assert.Contains("from the tablet", Devices.Texts(bob, laptop.Username));
            Assert.Contains("team from the tablet", Devices.Texts(bob, "team"));
            await bob.SendTextAsync(bob.GetConversation("team").Id, "team to the tablet");
            await laptop.PostAsync(channel, "second post");
            await tablet.SyncAsync();
            Assert.Equal(["team news", "team from the tablet", "team to the tablet"], Devices.Texts(tablet, "team"));
            Assert.Equal(["first post", "second post"], Devices.Texts(tablet, channel.Conversation));
        }
        finally
        {
            tablet.Dispose();
        }
    }

    [Fact]
    public async Task Without_history_the_new_device_starts_empty_and_nothing_is_uploaded()
    {
        var (laptop, bob) = await AccountsAsync();
        await laptop.SendTextAsync((await laptop.OpenDirectAsync(bob.Username)).Id, "not for the tablet");
        var before = BlobFiles();
        var (tablet, _) = await LinkAsync(laptop, withHistory: false);
        using (tablet)
        {
            Assert.Equal(before, BlobFiles());
            Assert.False(tablet.HasLinkHistory);
            Assert.Null(await tablet.ReceiveLinkHistoryAsync());
            Assert.Empty(tablet.Store.Conversations);
        }
    }

    [Fact]
    public async Task A_changed_bundle_is_refused_and_nothing_is_imported()
    {
        var (laptop, bob) = await AccountsAsync();
        await laptop.SendTextAsync((await laptop.OpenDirectAsync(bob.Username)).Id, "to be tampered with");
        var before = BlobFiles();
        var (tablet, _) = await LinkAsync(laptop, withHistory: true, beforeFetch: () =>
        {
            // The server (or whoever writes its disk) flips one bit of the ciphertext.
            string blob = Assert.Single(BlobFiles().Except(before));
            byte[] bytes = File.ReadAllBytes(blob);
            bytes[^30] ^= 1;
            File.WriteAllBytes(blob, bytes);
        });
        using (tablet)
        {
            var e = await Assert.ThrowsAsync<BackupFormatException>(() => tablet.ReceiveLinkHistoryAsync());
            Assert.Equal(BackupProblem.Damaged, e.Problem);
            Assert.StartsWith("The history from your other device was refused: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Empty(tablet.Store.Conversations);
            Assert.Empty(tablet.Store.Contacts);
            Assert.Equal(before, BlobFiles());
            // The device itself is linked and works.
            Assert.Contains(await tablet.ListDevicesAsync(), d => d.Current && d.CertificateValid);
        }
    }

    [Fact]
    public async Task Another_links_bundle_in_place_of_this_ones_is_refused()
    {
        var (laptop, bob) = await AccountsAsync();
        await laptop.SendTextAsync((await laptop.OpenDirectAsync(bob.Username)).Id, "one history, two links");
        var before = BlobFiles();
        // Two approvals of the same history make bundles of the same size under different keys; the server swaps them.
        using var other = ParleyClient.BeginLink();
        await laptop.ApproveDeviceAsync(other.Code);
        string otherBlob = Assert.Single(BlobFiles().Except(before));
        var (tablet, _) = await LinkAsync(laptop, withHistory: true, beforeFetch: () =>
        {
            string blob = Assert.Single(BlobFiles().Except(before).Except([otherBlob]));
            File.Copy(otherBlob, blob, overwrite: true);
        });
        using (tablet)
        {
            var e = await Assert.ThrowsAsync<BackupFormatException>(() => tablet.ReceiveLinkHistoryAsync());
            Assert.Equal(BackupProblem.WrongKey, e.Problem);
            Assert.Empty(tablet.Store.Conversations);
        }
    }
}
