using System.Security.Cryptography;
using System.Text.Json;

namespace Parley.Cli.Tests;

/// <summary>Files through the real <c>parley</c> binary and the real server: fetching a received file later, size
/// limits in the units people use, and transfers that resume after a cut.</summary>
public sealed class FileTransferTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => RunOn(fixture.Server, home, args);

    private Task<CliResult> RunOn(ServerProcess server, string home, params string[] args)
        => Cli.RunAsync(["--home", Home(home), "--server", server.Address.ToString(), .. args], null, TimeSpan.FromSeconds(120));

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output).RootElement;
    }

    private async Task<(string Alice, string Bob)> PairAsync(ServerProcess server)
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await RunOn(server, alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await RunOn(server, bob, "account", "create", bob)).ExitCode);
        return (alice, bob);
    }

    private string RandomFile(string name, int bytes)
    {
        string path = Path.Combine(fixture.Root, Unique("src") + "-" + name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(bytes));
        return path;
    }

    [Fact]
    public async Task A_file_received_without_downloading_is_downloaded_later_by_its_message_id()
    {
        var (alice, bob) = await PairAsync(fixture.Server);
        Assert.Equal(0, (await Run(alice, "send", bob, "a text first")).ExitCode);
        string file = RandomFile("plans.bin", 300_000);
        var sent = Json(await Run(alice, "send-file", bob, file, "--caption", "the plans", "--json"));
        Assert.Equal("file", sent.GetProperty("kind").GetString());

        // Received without --download-dir: only the message arrives.
        var inbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().ToList();
        var fileMessage = inbox.Single(m => m.GetProperty("kind").GetString() == "file");
        Assert.Equal(JsonValueKind.Null, fileMessage.GetProperty("attachment").GetProperty("savedTo").ValueKind);
        string id = fileMessage.GetProperty("id").GetString()!;
        string textId = inbox.Single(m => m.GetProperty("kind").GetString() == "text").GetProperty("id").GetString()!;

        string folder = Path.Combine(fixture.Root, Unique("later"));
        var downloaded = Json(await Run(bob, "download", alice, id, "--out", folder, "--json"));
        Assert.Equal(id, downloaded.GetProperty("id").GetString());
        Assert.Equal("the plans", downloaded.GetProperty("text").GetString());
        string saved = downloaded.GetProperty("attachment").GetProperty("savedTo").GetString()!;
        Assert.Equal(folder, Path.GetDirectoryName(saved));
        Assert.Equal(Path.GetFileName(file), Path.GetFileName(saved));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(saved));

        // Again, without --json: a second copy beside the first, and a sentence saying where.
        var again = await Run(bob, "download", alice, id, "--out", folder);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"Saved {Path.GetFileName(file)} (293.0 KiB) to ", again.Output);
        Assert.Equal(2, Directory.GetFiles(folder).Length);

        Cli.AssertOneSentence(await Run(bob, "download", alice, textId, "--out", folder), $"Message {textId} is not a file.");
        Cli.AssertOneSentence(await Run(bob, "download", alice, "no-such-id", "--out", folder), "There is no message no-such-id");
        Cli.AssertOneSentence(await Run(bob, "download", "nobody-here", id, "--out", folder), "No conversation is named nobody-here");
        Assert.Equal(2, Directory.GetFiles(folder).Length);
    }

    [Fact]
    public async Task Downloading_a_file_whose_blob_expired_says_so_in_one_sentence()
    {
        using var root = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(root.Sub("server"), "--Parley:BlobRetention", "00:00:02");
        var (alice, bob) = await PairAsync(server);
        string file = RandomFile("old.txt", 5000);
        Assert.Equal(0, (await RunOn(server, alice, "send-file", bob, file)).ExitCode);
        string id = Json(await RunOn(server, bob, "receive", "--json")).EnumerateArray().Single().GetProperty("id").GetString()!;

        await Task.Delay(TimeSpan.FromSeconds(3));
        string folder = root.Sub("downloads");
        Cli.AssertOneSentence(await RunOn(server, bob, "download", alice, id, "--out", folder),
            $"{Path.GetFileName(file)} is no longer on the server: it expired or its sender deleted it.");
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any());
    }
}
