using System.Diagnostics;
using System.Text.Json;

namespace Parley.Cli.Tests;

/// <summary>The real <c>parley</c> binary against the real server (itself started with <c>parley serve</c>).</summary>
public sealed class CliTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Server => fixture.Server.Address.ToString();

    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", Home(home), "--server", Server, .. args], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static JsonElement Json(CliResult result) => Cli.Json(result);

    [Fact]
    public async Task Two_people_talk_in_a_chat_and_a_group_from_the_command_line()
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await Run(alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await Run(bob, "account", "create", bob)).ExitCode);

        var sent = await Run(alice, "send", bob, "hello from the terminal");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Contains("Sent", sent.Output);

        var received = Json(await Run(bob, "receive", "--json"));
        var message = Assert.Single(received.EnumerateArray());
        Assert.Equal("hello from the terminal", message.GetProperty("text").GetString());
        Assert.Equal(alice, message.GetProperty("from").GetString());
        Assert.Empty(Json(await Run(bob, "receive", "--json")).EnumerateArray());

        Assert.Equal(0, (await Run(bob, "send", alice, "hello back")).ExitCode);
        var created = await Run(alice, "group", "create", "crew", "--members", bob);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal(0, (await Run(alice, "send", "crew", "first group message")).ExitCode);

        var aliceInbox = Json(await Run(alice, "receive", "--json"));
        Assert.Equal(["hello back"], aliceInbox.EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        var bobInbox = Json(await Run(bob, "receive", "--json")).EnumerateArray().ToList();
        var inCrew = Assert.Single(bobInbox);
        Assert.Equal("crew", inCrew.GetProperty("conversation").GetString());
        Assert.Equal("first group message", inCrew.GetProperty("text").GetString());

        var list = Json(await Run(bob, "group", "list", "--json")).EnumerateArray().ToList();
        Assert.Contains(list, c => c.GetProperty("name").GetString() == "crew" && c.GetProperty("kind").GetString() == "group");
        Assert.Contains(list, c => c.GetProperty("name").GetString() == alice && c.GetProperty("kind").GetString() == "direct");

        var history = Json(await Run(alice, "history", bob, "--json")).EnumerateArray().Select(m => m.GetProperty("text").GetString());
        Assert.Equal(["hello from the terminal", "hello back"], history);
        var hits = Json(await Run(alice, "search", "terminal", "--json")).EnumerateArray().ToList();
        Assert.Equal(bob, Assert.Single(hits).GetProperty("conversation").GetString());

        var aliceNumber = Json(await Run(alice, "verify", bob, "--json")).GetProperty("safetyNumber").GetString();
        var bobNumber = Json(await Run(bob, "verify", alice, "--confirm", "--json"));
        Assert.Equal(60, aliceNumber!.Length);
        Assert.Equal(aliceNumber, bobNumber.GetProperty("safetyNumber").GetString());
        Assert.True(bobNumber.GetProperty("verified").GetBoolean());

        Assert.Equal(0, (await Run(alice, "disappear", "crew", "1h")).ExitCode);
        var crew = Json(await Run(bob, "receive", "--json"));
        Assert.Equal("timer", Assert.Single(crew.EnumerateArray()).GetProperty("kind").GetString());
        Assert.Contains(Json(await Run(bob, "group", "list", "--json")).EnumerateArray(),
            c => c.GetProperty("name").GetString() == "crew" && c.GetProperty("disappearAfter").GetString() == "1h");
    }

    [Fact]
    public async Task Errors_are_one_sentence_and_a_non_zero_exit_code()
    {
        string carol = Unique("carol");
        Assert.Equal(0, (await Run(carol, "account", "create", carol)).ExitCode);

        var unknown = await Run(carol, "send", "nobody-" + Guid.NewGuid().ToString("N")[..6], "hi");
        Cli.AssertOneSentence(unknown, "There is no account named");

        var noHome = await Run("never-created", "receive");
        Cli.AssertOneSentence(noHome, "There is no Parley account");

        var taken = await Run(Unique("other"), "account", "create", carol);
        Cli.AssertOneSentence(taken, "is taken");

        var lookalike = await Run(Unique("other"), "account", "create", carol.Replace('o', '0'));
        Cli.AssertOneSentence(lookalike, "looks like a name already taken");

        var kelvin = await Run(Unique("other"), "account", "create", "\u212Aelvin");
        Cli.AssertOneSentence(kelvin, "is not a valid user name");

        var wrongPassphrase = await Cli.RunAsync(["--home", Home(carol), "receive"], null, null, new() { ["PARLEY_PASSPHRASE"] = "wrong" });
        Cli.AssertOneSentence(wrongPassphrase, "passphrase");

        var badDuration = await Run(carol, "disappear", carol, "soon");
        Assert.NotEqual(0, badDuration.ExitCode);

        var offline = await Cli.RunAsync(["--home", Home(carol), "--server", "http://127.0.0.1:9", "group", "create", "g", "--members", "xavier"], null);
        Assert.Equal(3, offline.ExitCode);
        Assert.DoesNotContain("   at ", offline.Error);

        var verbose = await Run(carol, "send", "nobody-" + Guid.NewGuid().ToString("N")[..6], "hi", "--verbose");
        Assert.Contains("   at ", verbose.Error);
    }

    [Fact]
    public async Task A_second_device_is_linked_with_two_codes_and_a_file_reaches_it()
    {
        string dana = Unique("dana"), erin = Unique("erin");
        Assert.Equal(0, (await Run(dana, "account", "create", dana)).ExitCode);
        Assert.Equal(0, (await Run(erin, "account", "create", erin)).ExitCode);
        Assert.Equal(0, (await Run(dana, "send", erin, "before the tablet")).ExitCode);

        // The new device prints its link code and waits for the approval code on standard input.
        var info = Cli.StartInfo(["--home", Home(dana + "-tablet"), "device", "link"]);
        using var link = Process.Start(info)!;
        string code = (await link.StandardOutput.ReadLineAsync())!;
        Assert.StartsWith("PL1.", code);
        var approved = await Run(dana, "device", "approve", code);
        Assert.True(approved.ExitCode == 0, approved.ToString());
        string approval = approved.Output.Trim();
        Assert.StartsWith("PA1.", approval);
        await link.StandardInput.WriteLineAsync(approval);
        link.StandardInput.Close();
        string rest = await link.StandardOutput.ReadToEndAsync();
        await link.WaitForExitAsync();
        Assert.True(link.ExitCode == 0, rest + await link.StandardError.ReadToEndAsync());
        Assert.Contains("Linked this device", rest);

        var devices = Json(await Run(dana, "device", "list", "--json")).EnumerateArray().ToList();
        Assert.Equal(2, devices.Count);
        Assert.Equal(0, (await Run(dana, "receive")).ExitCode); // adds the tablet to the chat with erin

        string file = Path.Combine(fixture.Root, "notes-" + Guid.NewGuid().ToString("N")[..6] + ".txt");
        await File.WriteAllTextAsync(file, string.Concat(Enumerable.Repeat("end-to-end encrypted notes\n", 5000)));
        var sendFile = await Run(erin, "send-file", dana, file, "--caption", "the notes");
        Assert.True(sendFile.ExitCode == 0, sendFile.ToString());

        string downloads = Path.Combine(fixture.Root, "tablet-downloads");
        var onTablet = Json(await Run(dana + "-tablet", "receive", "--json", "--download-dir", downloads)).EnumerateArray().ToList();
        var fileMessage = onTablet.Single(m => m.GetProperty("kind").GetString() == "file");
        Assert.Equal("the notes", fileMessage.GetProperty("text").GetString());
        string saved = fileMessage.GetProperty("attachment").GetProperty("savedTo").GetString()!;
        Assert.Equal(await File.ReadAllTextAsync(file), await File.ReadAllTextAsync(saved));
        Assert.DoesNotContain(onTablet, m => m.GetProperty("text").GetString() == "before the tablet");
    }

    [Fact]
    public async Task Receive_waits_for_a_message_that_is_sent_meanwhile()
    {
        string fay = Unique("fay"), gus = Unique("gus");
        Assert.Equal(0, (await Run(fay, "account", "create", fay)).ExitCode);
        Assert.Equal(0, (await Run(gus, "account", "create", gus)).ExitCode);
        Assert.Equal(0, (await Run(fay, "send", gus, "are you there?")).ExitCode);
        Assert.Single(Json(await Run(gus, "receive", "--json")).EnumerateArray());

        var waiting = Run(gus, "receive", "--json", "--wait", "20");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, (await Run(fay, "send", gus, "now I am")).ExitCode);
        var result = Json(await waiting);
        Assert.Equal("now I am", Assert.Single(result.EnumerateArray()).GetProperty("text").GetString());

        // `parley chat` sends each line typed and leaves on /quit.
        var chat = await Cli.RunAsync(["--home", Home(gus), "--server", Server, "chat", fay], "typed in chat\n/quit\n");
        Assert.True(chat.ExitCode == 0, chat.ToString());
        Assert.Contains("now I am", chat.Output);
        Assert.Equal("typed in chat", Assert.Single(Json(await Run(fay, "receive", "--json")).EnumerateArray()).GetProperty("text").GetString());
    }
}
