namespace Parley.Cli.Tests;

/// <summary><c>scripts/backup.sh</c> copies a running server's data folder; a server started from the copy (with the
/// original secrets folder) delivers what was waiting when the copy was taken.</summary>
public sealed class BackupTests
{
    [Fact]
    public async Task A_server_restored_from_a_backup_delivers_the_message_that_waited()
    {
        using var temp = new TempDirectory();
        string data = temp.Sub("data"), backup = temp.Sub("backup");
        var server = await ServerProcess.StartAsync(data);
        try
        {
            string[] at = ["--server", server.Address.ToString()];
            Assert.Equal(0, (await Cli.RunAsync(["--home", temp.Sub("alice"), .. at, "account", "create", "alice"], null)).ExitCode);
            Assert.Equal(0, (await Cli.RunAsync(["--home", temp.Sub("bob"), .. at, "account", "create", "bob"], null)).ExitCode);
            var sent = await Cli.RunAsync(["--home", temp.Sub("alice"), .. at, "send", "bob", "kept in the backup"], null);
            Assert.True(sent.ExitCode == 0, sent.ToString());

            // While the server runs, as a nightly job would.
            var backedUp = await Repository.RunScriptAsync("scripts/backup.sh", [data, backup]);
            Assert.True(backedUp.ExitCode == 0, backedUp.ToString());
            Assert.Contains("Not in it: the secrets folder", backedUp.Output);
        }
        finally
        {
            await server.DisposeAsync();
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(backup));
        }
        Assert.False(Directory.Exists(Path.Combine(backup, "franking.key")) || File.Exists(Path.Combine(backup, "franking.key")));

        // The original is gone; the copy serves, with the secrets folder kept apart.
        Directory.Delete(data, recursive: true);
        await using var restored = await ServerProcess.StartAsync(backup, "--Parley:SecretsDirectory", data + "-secrets");
        var received = await Cli.RunAsync(["--home", temp.Sub("bob"), "--server", restored.Address.ToString(), "receive"], null);
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Contains("kept in the backup", received.Output);
    }

    [Fact]
    public async Task A_backup_into_a_folder_that_is_not_empty_changes_nothing()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Sub("data"));
        await File.WriteAllTextAsync(temp.Sub("data/parley.db"), "");
        Directory.CreateDirectory(temp.Sub("dest"));
        await File.WriteAllTextAsync(temp.Sub("dest/keep"), "mine");

        var result = await Repository.RunScriptAsync("scripts/backup.sh", [temp.Sub("data"), temp.Sub("dest")]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"backup.sh: {temp.Sub("dest")} is not empty; give a new or empty folder.", result.Error.Trim());
        Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(temp.Sub("dest")).Select(Path.GetFileName));
    }
}
