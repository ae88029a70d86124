using Parley.Client;
using Parley.Client.Backup;
using Parley.Client.Storage;

namespace Parley.Cli.Tests;

/// <summary>Encrypted account backups (docs/backup.md) between real devices through the real server process: a lost
/// laptop restored from its backup as a new device of the same account, which its phone adds back to every
/// conversation, and then talks both ways in a 1:1 chat and a group.</summary>
public sealed class AccountBackupTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    public void Dispose() => _devices.Dispose();

    [Fact]
    public async Task A_restored_device_keeps_the_history_rejoins_and_talks_both_ways()
    {
        var laptop = await _devices.CreateAsync("alice");
        var phone = await _devices.LinkAsync(laptop, "phone");
        var bob = await _devices.CreateAsync("bob");
        var chat = await laptop.OpenDirectAsync(bob.Username);
        await laptop.SendTextAsync(chat.Id, "before the loss");
        var team = await laptop.CreateGroupAsync("team", [bob.Username]);
        await laptop.SendTextAsync(team.Id, "team before the loss");
        await bob.SyncAsync();
        await bob.SendTextAsync(bob.GetConversation(laptop.Username).Id, "reply before the loss");
        await laptop.SyncAsync();
        var mallory = await _devices.CreateAsync("mallory");
        await laptop.BlockAsync(mallory.Username);
        await phone.SyncAsync();

        string file = Path.Combine(_devices.Home("backups"), "alice.parley-backup");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var key = BackupKey.Generate();
        var manifest = await laptop.CreateBackupAsync(file, BackupSecret.FromKey(key));
        Assert.Equal(3, manifest.Messages);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        string lostDevice = laptop.DeviceId;
        _devices.Close(laptop);

        using var typed = BackupKey.Parse(key.ToDisplayString());
        var restored = await ParleyClient.RestoreBackupAsync(_devices.Home(manifest.Account + "-restored"), Cli.Passphrase, _devices.Server,
            file, BackupSecret.FromKey(typed), Devices.Options);
        try
        {
            Assert.Equal(manifest.Account, restored.Username);
            Assert.NotEqual(lostDevice, restored.DeviceId);
            Assert.Equal(lostDevice, await restored.RevokeDeviceAsync(lostDevice));
            Assert.Contains(await restored.ListDevicesAsync(), d => d.Current && d.CertificateValid);
            Assert.Equal([mallory.Username], restored.Store.BlockedUsernames);
            Assert.Equal(["before the loss", "reply before the loss"], Devices.Texts(restored, bob.Username));
            Assert.Equal(["team before the loss"], Devices.Texts(restored, "team"));

            // The phone adds the new device to every conversation on its next sync and removes the revoked laptop.
            await phone.SyncAsync();
            await restored.SyncAsync();
            await restored.SendTextAsync(restored.GetConversation(bob.Username).Id, "back from the backup");
            await restored.SendTextAsync(restored.GetConversation("team").Id, "team is back");
            await bob.SyncAsync();
            Assert.Contains("back from the backup", Devices.Texts(bob, manifest.Account));
            Assert.Contains("team is back", Devices.Texts(bob, "team"));
            await bob.SendTextAsync(bob.GetConversation(manifest.Account).Id, "welcome back");
            await bob.SendTextAsync(bob.GetConversation("team").Id, "team welcome back");
            await restored.SyncAsync();
            Assert.Equal(["before the loss", "reply before the loss", "back from the backup", "welcome back"], Devices.Texts(restored, bob.Username));
            Assert.Equal(["team before the loss", "team is back", "team welcome back"], Devices.Texts(restored, "team"));
        }
        finally
        {
            restored.Dispose();
        }
    }

    [Fact]
    public async Task A_restored_only_device_is_taken_back_by_its_contacts_and_talks_both_ways()
    {
        // The account's only device is lost: nobody of the account is left to add the restored one, so it asks each
        // conversation to take it back, and a contact's device commits the request (docs/backup.md, "Rejoining").
        var laptop = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var carol = await _devices.CreateAsync("carol");
        var chat = await laptop.OpenDirectAsync(bob.Username);
        await laptop.SendTextAsync(chat.Id, "before the loss");
        var team = await laptop.CreateGroupAsync("team", [bob.Username, carol.Username]);
        await laptop.SetDisappearingTimerAsync(team.Id, TimeSpan.FromDays(7));
        await laptop.SendTextAsync(team.Id, "team before the loss");
        await bob.SyncAsync();
        await carol.SyncAsync();

        string file = Path.Combine(_devices.Home("backups-" + laptop.Username), "alice.parley-backup");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var key = BackupKey.Generate();
        var manifest = await laptop.CreateBackupAsync(file, BackupSecret.FromKey(key));
        string lostDevice = laptop.DeviceId;
        _devices.Close(laptop);

        var restored = await ParleyClient.RestoreBackupAsync(_devices.Home(manifest.Account + "-only-restored"), Cli.Passphrase, _devices.Server,
            file, BackupSecret.FromKey(key), Devices.Options);
        try
        {
            Assert.Equal(lostDevice, await restored.RevokeDeviceAsync(lostDevice));
            Assert.Equal(2, restored.AwaitingRejoin.Count);
            await Assert.ThrowsAsync<ParleyClientException>(() => restored.SendTextAsync(restored.GetConversation("team").Id, "too early"));

            // bob's device takes the requests of both conversations on its next sync; carol's finds them done.
            await bob.SyncAsync();
            await carol.SyncAsync();
            await restored.SyncAsync();
            Assert.Empty(restored.AwaitingRejoin);
            Assert.Equal(TimeSpan.FromDays(7), restored.GetConversation("team").DisappearingTimer);

            await restored.SendTextAsync(restored.GetConversation(bob.Username).Id, "back from the backup");
            await restored.SendTextAsync(restored.GetConversation("team").Id, "team is back");
            await bob.SyncAsync();
            await carol.SyncAsync();
            Assert.Contains("back from the backup", Devices.Texts(bob, manifest.Account));
            Assert.Contains("team is back", Devices.Texts(carol, "team"));
            await bob.SendTextAsync(bob.GetConversation(manifest.Account).Id, "welcome back");
            await carol.SendTextAsync(carol.GetConversation("team").Id, "team welcome back");
            await restored.SyncAsync();
            Assert.Equal(["before the loss", "back from the backup", "welcome back"], Devices.Texts(restored, bob.Username));
            Assert.Equal(["team before the loss", "team is back", "team welcome back"], Devices.Texts(restored, "team"));
            // The restored device removed the revoked laptop's leaves: the group holds one device per account.
            await bob.SyncAsync();
            Assert.Equal([1, 1, 1], bob.GetConversation("team").Members.Select(m => m.DeviceIds.Count));
        }
        finally
        {
            restored.Dispose();
        }
    }

    [Fact]
    public async Task A_bad_backup_restores_nothing()
    {
        var alice = await _devices.CreateAsync("alice");
        string file = Path.Combine(_devices.Home("backups-" + alice.Username), "b");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var key = BackupKey.Generate();
        await alice.CreateBackupAsync(file, BackupSecret.FromKey(key));
        byte[] good = await File.ReadAllBytesAsync(file);

        async Task<BackupProblem> Fails(byte[] bytes, BackupSecret secret, Uri? server = null)
        {
            await File.WriteAllBytesAsync(file, bytes);
            string home = _devices.Home("restore-" + Guid.NewGuid().ToString("N")[..6]);
            var e = await Assert.ThrowsAsync<BackupFormatException>(() =>
                ParleyClient.RestoreBackupAsync(home, Cli.Passphrase, server ?? _devices.Server, file, secret, Devices.Options));
            Assert.False(Directory.Exists(home) && Directory.EnumerateFileSystemEntries(home).Any());
            return e.Problem;
        }

        using var other = BackupKey.Generate();
        Assert.Equal(BackupProblem.WrongKey, await Fails(good, BackupSecret.FromKey(other)));
        Assert.Equal(BackupProblem.WrongKeyKind, await Fails(good, BackupSecret.FromPassphrase("not a key")));
        byte[] tampered = (byte[])good.Clone();
        tampered[^20] ^= 1;
        Assert.Equal(BackupProblem.Damaged, await Fails(tampered, BackupSecret.FromKey(key)));
        Assert.Equal(BackupProblem.Damaged, await Fails(good[..^1], BackupSecret.FromKey(key)));
        byte[] newer = (byte[])good.Clone();
        newer[9] = 9;
        Assert.Equal(BackupProblem.UnsupportedVersion, await Fails(newer, BackupSecret.FromKey(key)));
        Assert.Equal(BackupProblem.OtherServer, await Fails(good, BackupSecret.FromKey(key), new Uri("https://elsewhere.example/")));
        // The account gained no device from any of these.
        Assert.Single(await alice.ListDevicesAsync());
    }

    [Fact]
    public async Task A_passphrase_backup_restores_with_the_passphrase()
    {
        var alice = await _devices.CreateAsync("alice");
        var bob = await _devices.CreateAsync("bob");
        var chat = await alice.OpenDirectAsync(bob.Username);
        await alice.SendTextAsync(chat.Id, "kept");
        string file = Path.Combine(_devices.Home("backups-" + alice.Username), "b");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await alice.CreateBackupAsync(file, BackupSecret.FromPassphrase("a long backup passphrase", StoreKeyDerivation.Minimal));
        using var restored = await ParleyClient.RestoreBackupAsync(_devices.Home(alice.Username + "-restored"), Cli.Passphrase, null, file,
            BackupSecret.FromPassphrase("a long backup passphrase"), Devices.Options);
        Assert.Equal(["kept"], Devices.Texts(restored, bob.Username));
        Assert.Equal(2, (await restored.ListDevicesAsync()).Count);
    }
}
