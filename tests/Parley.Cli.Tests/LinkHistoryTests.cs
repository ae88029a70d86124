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

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", _devices.Home(home), "--server", _devices.Server.ToString(), .. args]);

    // `parley device link` on a new home, answered by `parley device approve CODE EXTRA…` on the approver's home;
    // <paramref name="tamper"/> runs on the blob the approval left, before the new device fetches it.
    private async Task<CliResult> LinkWithCliAsync(string approver, string home, string[] extra, Action<string>? tamper = null)
    {
        var before = BlobFiles();
        using var link = System.Diagnostics.Process.Start(Cli.StartInfo(["--home", _devices.Home(home), "device", "link"]))!;
        string code = (await link.StandardOutput.ReadLineAsync())!;
        Assert.StartsWith("PL1.", code);
        var approved = await Run(approver, ["device", "approve", code, .. extra]);
        Assert.True(approved.ExitCode == 0, approved.ToString());
        tamper?.Invoke(Assert.Single(BlobFiles().Except(before)));
        await link.StandardInput.WriteLineAsync(approved.Output.Trim());
        link.StandardInput.Close();
        string output = await link.StandardOutput.ReadToEndAsync();
        string error = await link.StandardError.ReadToEndAsync();
        await link.WaitForExitAsync();
        // Whatever happened, nothing is left on the server.
        Assert.Equal(before, BlobFiles());
        return new CliResult(link.ExitCode, output, error);
    }

    [Fact]
    public async Task Device_approve_sends_the_history_unless_told_not_to_and_a_changed_bundle_is_one_sentence()
    {
        string dana = "dana" + Guid.NewGuid().ToString("N")[..6], erin = "erin" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await Run(dana, "account", "create", dana)).ExitCode);
        Assert.Equal(0, (await Run(erin, "account", "create", erin)).ExitCode);
        Assert.Equal(0, (await Run(dana, "send", erin, "before the tablet")).ExitCode);

        var tablet = await LinkWithCliAsync(dana, dana + "-tablet", []);
        Assert.True(tablet.ExitCode == 0, tablet.ToString());
        Assert.Contains("Took the earlier history from your other device: 1 messages in 1 conversations.", tablet.Output);
        Assert.Contains("before the tablet", (await Run(dana + "-tablet", "history", erin)).Output);

        var phone = await LinkWithCliAsync(dana, dana + "-phone", ["--no-history"]);
        Assert.True(phone.ExitCode == 0, phone.ToString());
        Assert.Contains("Linked this device", phone.Output);
        Assert.DoesNotContain("earlier history", phone.Output);
        Assert.DoesNotContain("before the tablet", (await Run(dana + "-phone", "history", erin)).Output);

        var watch = await LinkWithCliAsync(dana, dana + "-watch", [], blob =>
        {
            byte[] bytes = File.ReadAllBytes(blob);
            bytes[BackupHeader.Size + 5] ^= 0x80;
            File.WriteAllBytes(blob, bytes);
        });
        // Besides the link prompts, one line: the refusal.
        Assert.True(watch.ExitCode == 1, watch.ToString());
        string refusal = Assert.Single(watch.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("parley: ", StringComparison.Ordinal));
        Assert.StartsWith("parley: The history from your other device was refused: ", refusal);
        Assert.EndsWith("Nothing was imported; this device is linked without its earlier history.", refusal.TrimEnd());
        Assert.DoesNotContain("before the tablet", (await Run(dana + "-watch", "history", erin)).Output);
        // The watch is linked all the same.
        Assert.Equal(4, Cli.Json(await Run(dana, "device", "list", "--json")).GetArrayLength());
    }
}
