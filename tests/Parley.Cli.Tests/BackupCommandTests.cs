using System.Text.Json;
using Parley.Client;

namespace Parley.Cli.Tests;

/// <summary><c>parley backup create|restore</c> and <c>parley export</c> through the real binary and the real server
/// process (docs/backup.md).</summary>
public sealed class BackupCommandTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Devices _devices = new(fixture);

    public void Dispose() => _devices.Dispose();

    private string[] At(string home) => ["--home", _devices.Home(home), "--server", _devices.Server.ToString()];

    private static async Task<CliResult> Ok(params string[] args)
    {
        var result = await Cli.RunAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private async Task<(string Alice, string Bob)> AccountsAsync()
    {
        string alice = "alice" + Guid.NewGuid().ToString("N")[..6], bob = "bob" + Guid.NewGuid().ToString("N")[..6];
        await Ok([.. At(alice), "account", "create", alice]);
        await Ok([.. At(bob), "account", "create", bob]);
        return (alice, bob);
    }

    private static string KeyOf(CliResult created) => created.Output.Trim().Split('\n')[^1].Trim();

    [Fact]
    public async Task A_laptop_restored_from_its_backup_talks_both_ways_in_a_chat_and_a_group()
    {
        var (alice, bob) = await AccountsAsync();
        string lostDevice;
        ParleyClient phone;
        using (var laptop = ParleyClient.Open(_devices.Home(alice), Cli.Passphrase, _devices.Server, Devices.Options))
        {
            lostDevice = laptop.DeviceId;
            phone = await _devices.LinkAsync(laptop, "phone");
        }
        await Ok([.. At(alice), "send", bob, "before the loss"]);
        await Ok([.. At(alice), "group", "create", "team", "--members", bob]);
        await Ok([.. At(alice), "send", "team", "team before the loss"]);
        await Ok([.. At(bob), "receive"]);
        await phone.SyncAsync();

        string file = _devices.Home(alice + ".backup");
        var created = await Ok([.. At(alice), "backup", "create", file]);
        Assert.Contains("Backed up 2 messages", created.Output);
        Assert.Matches("^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$", KeyOf(created));

        string restoredHome = alice + "-restored";
        var restored = await Ok([.. At(restoredHome), "backup", "restore", file, "--backup-key", KeyOf(created).ToLowerInvariant(), "--revoke", lostDevice[..8]]);
        Assert.Contains($"Revoked device {lostDevice}.", restored.Output);
        Assert.Contains("before the loss", (await Ok([.. At(restoredHome), "history", bob])).Output);

        // The phone adds the restored device back on its next sync.
        await phone.SyncAsync();
        await Ok([.. At(restoredHome), "receive"]);
        await Ok([.. At(restoredHome), "send", bob, "after the restore"]);
        await Ok([.. At(restoredHome), "send", "team", "team after the restore"]);
        var atBob = await Ok([.. At(bob), "receive"]);
        Assert.Contains("after the restore", atBob.Output);
        Assert.Contains("team after the restore", atBob.Output);
        await Ok([.. At(bob), "send", alice, "welcome back"]);
        await Ok([.. At(bob), "send", "team", "team welcome back"]);
        var back = await Ok([.. At(restoredHome), "receive"]);
        Assert.Contains("welcome back", back.Output);
        Assert.Contains("team welcome back", back.Output);
    }

    [Theory]
    [InlineData("wrong key", "does not open this backup")]
    [InlineData("tampered", "damaged")]
    [InlineData("truncated", "damaged")]
    [InlineData("reordered", "damaged")]
    [InlineData("other version", "format version 7")]
    [InlineData("other server", "not on")]
    public async Task A_bad_backup_is_one_sentence_and_writes_nothing(string problem, string expected)
    {
        var (alice, bob) = await AccountsAsync();
        using (var client = ParleyClient.Open(_devices.Home(alice), Cli.Passphrase, _devices.Server, Devices.Options))
        {
            var chat = await client.OpenDirectAsync(bob);
            for (int i = 0; i < 70; i++)
            {
                // Enough history for the file to have three chunks.
                await client.SendTextAsync(chat.Id, new string('x', 2000) + i);
            }
        }
        string file = _devices.Home(alice + ".backup");
        string key = KeyOf(await Ok([.. At(alice), "backup", "create", file]));
        byte[] bytes = await File.ReadAllBytesAsync(file);
        Assert.True(bytes.Length > 72 + 2 * (65536 + 16));
        const int header = 72, chunk = 65536 + 16;
        string server = _devices.Server.ToString();
        switch (problem)
        {
            case "wrong key":
                key = "0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000";
                break;
            case "tampered":
                bytes[header + 100] ^= 1;
                break;
            case "truncated":
                bytes = bytes[..(header + chunk)];
                break;
            case "reordered":
                bytes = [.. bytes[..header], .. bytes[(header + chunk)..(header + 2 * chunk)], .. bytes[header..(header + chunk)], .. bytes[(header + 2 * chunk)..]];
                break;
            case "other version":
                bytes[9] = 7;
                break;
            case "other server":
                server = "http://127.0.0.1:9/";
                break;
        }
        await File.WriteAllBytesAsync(file, bytes);
        string home = _devices.Home(alice + "-restored");

        var result = await Cli.RunAsync(["--home", home, "--server", server, "backup", "restore", file, "--backup-key", key]);

        Cli.AssertOneSentence(result, expected);
        Assert.False(Directory.Exists(home) && Directory.EnumerateFileSystemEntries(home).Any(), "the restore wrote into the new home");
        var devices = Cli.Json(await Ok([.. At(alice), "device", "list", "--json"]));
        Assert.Equal(1, devices.GetArrayLength());
    }

    [Fact]
    public async Task Export_writes_a_conversation_as_json_text_and_escaped_html()
    {
        var (alice, bob) = await AccountsAsync();
        await Ok([.. At(alice), "send", bob, "<script>alert(1)</script> & more"]);
        await Ok([.. At(bob), "receive"]);
        await Ok([.. At(bob), "send", alice, "second\nline"]);

        string html = _devices.Home(bob + ".html");
        var written = await Ok([.. At(bob), "export", alice, "--format", "html", "--out", html]);
        Assert.Contains("not encrypted", written.Error);
        string page = await File.ReadAllTextAsync(html);
        Assert.DoesNotContain("<script>", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", page);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(html));
        }

        var json = await Ok([.. At(bob), "export", alice, "--format", "json"]);
        using var document = JsonDocument.Parse(json.Output);
        var messages = document.RootElement.GetProperty("messages");
        Assert.Equal(["<script>alert(1)</script> & more", "second\nline"], messages.EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal([alice, bob], messages.EnumerateArray().Select(m => m.GetProperty("sender").GetString()));

        var text = await Ok([.. At(bob), "export", alice]);
        var lines = text.Output.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.EndsWith($"{bob}: second\\nline", lines[2]);
    }

    [Fact]
    public async Task A_passphrase_backup_from_cron_restores_with_the_same_passphrase_only()
    {
        var (alice, bob) = await AccountsAsync();
        await Ok([.. At(alice), "send", bob, "kept by passphrase"]);
        string file = _devices.Home(alice + ".backup");
        var environment = new Dictionary<string, string> { [Commands.BackupCommands.PassphraseVariable] = "a long backup passphrase" };
        var created = await Cli.RunAsync([.. At(alice), "backup", "create", file, "--passphrase", "--json"], null, environment: environment);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("backed_up", Cli.Json(created).GetProperty("status").GetString());

        string home = alice + "-restored";
        var wrong = await Cli.RunAsync([.. At(home), "backup", "restore", file, "--passphrase"], null,
            environment: new() { [Commands.BackupCommands.PassphraseVariable] = "another passphrase" });
        Cli.AssertOneSentence(wrong, "The passphrase does not open this backup.");
        var restored = await Cli.RunAsync([.. At(home), "backup", "restore", file, "--passphrase"], null, environment: environment);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Contains("kept by passphrase", (await Ok([.. At(home), "history", bob])).Output);
    }
}
