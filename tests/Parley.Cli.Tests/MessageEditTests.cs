using System.Text.Json;
using Parley.Client;

namespace Parley.Cli.Tests;

/// <summary><c>parley react</c>, <c>edit</c>, <c>delete</c>, the slash commands of <c>parley chat</c>, and the delivery
/// marks of <c>parley history</c>: the real binary against the real server.</summary>
public sealed class MessageEditTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Server => fixture.Server.Address.ToString();

    private string Home(string name) => Path.Combine(fixture.Root, "cli-" + name);

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", Home(home), "--server", Server, .. args], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private async Task<(string Alice, string Bob)> TwoAccountsAsync()
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Assert.Equal(0, (await Run(alice, "account", "create", alice)).ExitCode);
        Assert.Equal(0, (await Run(bob, "account", "create", bob)).ExitCode);
        return (alice, bob);
    }

    private async Task<string> SendAsync(string from, string to, string text)
        => Cli.Json(await Run(from, "send", to, text, "--json")).GetProperty("id").GetString()!;

    private async Task<List<JsonElement>> HistoryAsync(string home, string conversation)
        => Cli.Json(await Run(home, "history", conversation, "--json")).EnumerateArray().ToList();

    private static JsonElement Message(List<JsonElement> history, string id) => history.Single(m => m.GetProperty("id").GetString() == id);

    [Fact]
    public async Task React_edit_and_delete_change_a_message_for_everyone_and_refuse_unknown_ids()
    {
        var (alice, bob) = await TwoAccountsAsync();
        string hello = await SendAsync(alice, bob, "helo");
        Assert.Equal(0, (await Run(bob, "receive")).ExitCode);

        // Bob reacts with the first letters of the id, as chat shows them.
        var reacted = await Run(bob, "react", alice, hello[..6], "👍");
        Assert.True(reacted.ExitCode == 0, reacted.ToString());
        Assert.Contains($"Reacted 👍 to {hello}", reacted.Output);
        var edited = await Run(alice, "edit", bob, hello, "hello");
        Assert.True(edited.ExitCode == 0, edited.ToString());

        Assert.Equal(0, (await Run(alice, "receive")).ExitCode);
        Assert.Equal([bob + " 👍"], Message(await HistoryAsync(alice, bob), hello).GetProperty("reactions").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(0, (await Run(bob, "receive")).ExitCode);
        var onBob = Message(await HistoryAsync(bob, alice), hello);
        Assert.Equal("hello", onBob.GetProperty("text").GetString());
        Assert.True(onBob.GetProperty("edited").GetBoolean());
        Assert.Contains("hello (edited) [" + bob + " 👍]", (await Run(bob, "history", alice)).Output);

        // Nobody edits or deletes someone else's message for everyone; unknown ids change nothing.
        Cli.AssertOneSentence(await Run(bob, "edit", alice, hello, "hijacked"), "only edit or delete your own");
        Cli.AssertOneSentence(await Run(bob, "delete", alice, hello), "only edit or delete your own");
        Cli.AssertOneSentence(await Run(bob, "react", alice, "nosuchmessage", "👍"), "There is no message nosuchmessage");
        Cli.AssertOneSentence(await Run(alice, "send", bob, "a reply to nothing", "--reply-to", "nosuchmessage"), "There is no message nosuchmessage");
        Assert.DoesNotContain(await HistoryAsync(alice, bob), m => m.GetProperty("text").GetString() == "a reply to nothing");

        // Taking a reaction back; deleting for everyone; deleting only here.
        Assert.Equal(0, (await Run(bob, "react", alice, hello, "👍", "--remove")).ExitCode);
        string oops = await SendAsync(alice, bob, "oops, wrong chat");
        var deleted = await Run(alice, "delete", bob, oops, "--json");
        Assert.Equal("deleted", Cli.Json(deleted).GetProperty("status").GetString());
        Assert.Equal(0, (await Run(alice, "receive")).ExitCode);
        Assert.Empty(Message(await HistoryAsync(alice, bob), hello).GetProperty("reactions").EnumerateArray());
        Assert.Equal(0, (await Run(bob, "receive")).ExitCode);
        var gone = Message(await HistoryAsync(bob, alice), oops);
        Assert.True(gone.GetProperty("deleted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, gone.GetProperty("text").ValueKind);

        var forMe = await Run(bob, "delete", alice, hello, "--for-me");
        Assert.True(forMe.ExitCode == 0, forMe.ToString());
        Assert.DoesNotContain(await HistoryAsync(bob, alice), m => m.GetProperty("id").GetString() == hello);
        Assert.Equal(0, (await Run(alice, "receive")).ExitCode);
        Assert.Equal("hello", Message(await HistoryAsync(alice, bob), hello).GetProperty("text").GetString());
    }

    [Fact]
    public async Task History_marks_outgoing_messages_sent_delivered_and_read()
    {
        var (alice, bob) = await TwoAccountsAsync();
        string id = await SendAsync(alice, bob, "did you get this?");
        Assert.EndsWith("did you get this? ✓", (await Run(alice, "history", bob)).Output.TrimEnd());

        // Bob's device receives it without showing it: a delivery receipt, no read receipt.
        using (var device = ParleyClient.Open(Home(bob), Cli.Passphrase, fixture.Server.Address, Devices.Options))
        {
            await device.SyncAsync();
        }
        Assert.Equal(0, (await Run(alice, "receive")).ExitCode);
        Assert.EndsWith("did you get this? ✓✓", (await Run(alice, "history", bob)).Output.TrimEnd());
        var delivered = Message(await HistoryAsync(alice, bob), id);
        Assert.Equal([bob], delivered.GetProperty("deliveredTo").EnumerateArray().Select(r => r.GetString()));
        Assert.Empty(delivered.GetProperty("readBy").EnumerateArray());

        // Bob looks at the chat: a read receipt.
        Assert.Equal(0, (await Run(bob, "history", alice)).ExitCode);
        Assert.Equal(0, (await Run(alice, "receive")).ExitCode);
        Assert.EndsWith($"did you get this? ✓✓ read by {bob}", (await Run(alice, "history", bob)).Output.TrimEnd());
        Assert.Equal([bob], Message(await HistoryAsync(alice, bob), id).GetProperty("readBy").EnumerateArray().Select(r => r.GetString()));

        // A message the server did not take yet waits in the outbox, and says so.
        var queued = await Cli.RunAsync(["--home", Home(alice), "--server", "http://127.0.0.1:9", "send", bob, "sent while offline"], null);
        Assert.True(queued.ExitCode == 0, queued.ToString());
        var history = await Cli.RunAsync(["--home", Home(alice), "--server", "http://127.0.0.1:9", "history", bob], null);
        Assert.EndsWith("sent while offline (queued)", history.Output.TrimEnd());
    }

    [Fact]
    public async Task Chat_takes_slash_commands_and_sends_only_what_is_meant_as_a_message()
    {
        var (alice, bob) = await TwoAccountsAsync();
        string question = await SendAsync(alice, bob, "lunch at noon?");
        string typo = await SendAsync(bob, alice, "yse");
        string other = await SendAsync(bob, alice, "sent by mistake");

        string typed = string.Join('\n',
            "/help",
            "/bogus",
            "//slashes are fine",
            $"/react {question[..6]} 🎉",
            $"/reply {question[..6]} sounds good",
            "/reply zzzzzz to nothing",
            $"/edit {typo} yes",
            $"/delete {other[..6]}",
            "/quit",
            "after quitting");
        var chat = await Cli.RunAsync(["--home", Home(bob), "--server", Server, "chat", alice], typed + "\n");
        Assert.True(chat.ExitCode == 0, chat.ToString());
        Assert.Contains("/react ID EMOJI", chat.Output);
        Assert.Contains("There is no chat command /bogus", chat.Output);
        Assert.Contains("There is no message zzzzzz", chat.Output);
        Assert.Contains(question[..6] + " ", chat.Output);

        var received = Cli.Json(await Run(alice, "receive", "--json")).EnumerateArray().ToList();
        Assert.Equal(["/slashes are fine", "sounds good"], received.Where(m => m.GetProperty("id").GetString() != typo && m.GetProperty("id").GetString() != other)
            .Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(question, received.Single(m => m.GetProperty("text").GetString() == "sounds good").GetProperty("replyTo").GetString());
        var history = await HistoryAsync(alice, bob);
        Assert.DoesNotContain(history, m => m.GetProperty("text").GetString() is "/help" or "/bogus" or "after quitting" or "to nothing");
        Assert.Equal([bob + " 🎉"], Message(history, question).GetProperty("reactions").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("yes", Message(history, typo).GetProperty("text").GetString());
        Assert.True(Message(history, other).GetProperty("deleted").GetBoolean());
    }
}
