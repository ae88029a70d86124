using System.Text.Json;
using Parley.Client.Sync;

namespace Parley.Cli.Tests;

/// <summary>Who is in a conversation, seen from the command line: removing and adding people again, blocking and
/// unblocking, disappearing messages, and how groups are named and announced.</summary>
public sealed class MembershipTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Server => fixture.Server.Address.ToString();

    private string Home(string name) => Path.Combine(fixture.Root, "membership-" + name);

    private Task<CliResult> Run(string home, params string[] args) => Cli.RunAsync(["--home", Home(home), "--server", Server, .. args], null);

    private async Task<CliResult> Ok(string home, params string[] args)
    {
        var result = await Run(home, args);
        Assert.True(result.ExitCode == 0, $"parley {string.Join(' ', args)}: {result}");
        return result;
    }

    private async Task<JsonElement> Json(string home, params string[] args)
        => JsonDocument.Parse((await Ok(home, [.. args, "--json"])).Output).RootElement;

    private async Task<List<string?>> Received(string home)
        => (await Json(home, "receive")).EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();

    private async Task<List<string?>> History(string home, string conversation)
        => (await Json(home, "history", conversation)).EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();

    private async Task<List<JsonElement>> Conversations(string home) => (await Json(home, "group", "list")).EnumerateArray().ToList();

    private async Task<string[]> Accounts(params string[] names)
    {
        var unique = names.Select(n => n + Guid.NewGuid().ToString("N")[..6]).ToArray();
        foreach (string name in unique)
        {
            await Ok(name, "account", "create", name);
        }
        return unique;
    }

    private static (string, string) Two(string[] names) => (names[0], names[1]);

    private static (string, string, string) Three(string[] names) => (names[0], names[1], names[2]);

    [Fact]
    public async Task A_removed_member_added_again_gets_the_new_messages_and_keeps_the_old_history()
    {
        var (alice, bob, carol) = Three(await Accounts("alice", "bob", "carol"));
        await Ok(alice, "group", "create", "team", "--members", $"{bob},{carol}");
        await Ok(alice, "send", "team", "before the break");
        Assert.Equal(["before the break"], await Received(carol));

        await Ok(alice, "group", "remove", "team", carol);
        Assert.Contains("You were removed from team", (await Ok(carol, "receive")).Output);
        await Ok(alice, "send", "team", "while carol was away");

        var added = await Ok(alice, "group", "add", "team", carol);
        Assert.Contains($"Added {carol} to team.", added.Output);
        Assert.Contains($"You were added to team by {alice}.", (await Ok(carol, "receive")).Output);
        await Ok(alice, "send", "team", "welcome back");

        Assert.Equal(["welcome back"], await Received(carol));
        Assert.Equal(["before the break", "welcome back"], await History(carol, "team"));
        var team = Assert.Single(await Conversations(carol));
        Assert.True(team.GetProperty("member").GetBoolean());
        await Ok(carol, "send", "team", "glad to be back");
        Assert.Contains("glad to be back", await Received(bob));
        Assert.Contains("glad to be back", await Received(alice));

        var again = await Run(alice, "group", "add", "team", carol);
        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"parley: {carol} is already in team.", again.Error.Trim());
    }

    [Fact]
    public async Task A_member_who_left_can_be_added_again()
    {
        var (alice, bob, carol) = Three(await Accounts("alice", "bob", "carol"));
        await Ok(alice, "group", "create", "team", "--members", $"{bob},{carol}");
        await Ok(carol, "receive");
        await Ok(carol, "group", "leave", "team");
        Assert.Empty(await Conversations(carol));
        // Bob's device commits carol's departure when it next syncs.
        await Ok(bob, "receive");

        await Ok(alice, "group", "add", "team", carol);
        await Ok(bob, "send", "team", "hello again");
        Assert.Equal(["hello again"], await Received(carol));
        Assert.Single(await Conversations(carol));
    }

    [Fact]
    public async Task Messages_sent_after_an_unblock_arrive_in_the_one_chat_both_sides_already_have()
    {
        var (alice, bob) = Two(await Accounts("alice", "bob"));
        await Ok(bob, "send", alice, "first");
        Assert.Equal(["first"], await Received(alice));

        await Ok(alice, "block", bob);
        await Ok(bob, "send", alice, "while blocked");
        Assert.Empty(await Received(alice));

        await Ok(alice, "unblock", bob);
        await Ok(bob, "send", alice, "after the unblock");
        Assert.Equal(["after the unblock"], await Received(alice));
        await Ok(alice, "send", bob, "welcome back");
        Assert.Equal(["welcome back"], await Received(bob));

        foreach (var (home, peer) in new[] { (alice, bob), (bob, alice) })
        {
            var chats = (await Conversations(home)).Where(c => c.GetProperty("kind").GetString() == "direct").ToList();
            Assert.Equal(peer, Assert.Single(chats).GetProperty("name").GetString());
        }
        Assert.Equal(["first", "after the unblock", "welcome back"], await History(alice, bob));
        Assert.Equal(["first", "while blocked", "after the unblock", "welcome back"], await History(bob, alice));
    }

    [Fact]
    public async Task A_chat_first_started_while_blocked_is_the_one_chat_after_the_unblock()
    {
        var (alice, bob) = Two(await Accounts("alice", "bob"));
        await Ok(alice, "block", bob);
        // Bob cannot start a chat with alice while she blocks him, and is not told why.
        var refused = await Run(bob, "send", alice, "hello?");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Empty(await Received(alice));

        await Ok(alice, "unblock", bob);
        await Ok(bob, "send", alice, "hello now");
        Assert.Equal(["hello now"], await Received(alice));
        await Ok(alice, "send", bob, "hi bob");
        Assert.Equal(["hi bob"], await Received(bob));
        foreach (string home in new[] { alice, bob })
        {
            Assert.Single(await Conversations(home), c => c.GetProperty("kind").GetString() == "direct");
        }
    }

    [Fact]
    public async Task Expired_messages_are_gone_from_history_and_search_without_a_receive()
    {
        var (alice, bob) = Two(await Accounts("alice", "bob"));
        await Ok(alice, "send", bob, "hello for good");
        // Long enough for the receive and the search below on a loaded machine. The message is timed from its arrival,
        // somewhere inside the receive: the search must end within the timer counted from before the receive, and the
        // wait must last the timer counted from after it.
        var timer = TimeSpan.FromSeconds(12);
        await Ok(alice, "disappear", bob, "12s");
        await Ok(alice, "send", bob, "secret plans");
        var beforeArrival = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(["hello for good", "secret plans"], (await Received(bob)).Where(t => t is not null && !t.StartsWith("set ", StringComparison.Ordinal)));
        var afterArrival = System.Diagnostics.Stopwatch.StartNew();
        Assert.Single((await Json(bob, "search", "secret")).EnumerateArray());
        Assert.True(beforeArrival.Elapsed < timer, $"The receive and search took {beforeArrival.Elapsed}, past the timer: too slow to test.");

        await Task.Delay(timer + TimeSpan.FromSeconds(0.5) - afterArrival.Elapsed);
        Assert.Equal(["hello for good"], await History(bob, alice));
        Assert.Empty((await Json(bob, "search", "secret")).EnumerateArray());
        Assert.Equal(0, Assert.Single(await Conversations(bob)).GetProperty("unread").GetInt32());
    }

    [Fact]
    public async Task Every_member_names_a_group_by_the_same_id_and_is_told_who_added_removed_or_left()
    {
        var (alice, bob, carol) = Three(await Accounts("alice", "bob", "carol"));
        string id = (await Json(alice, "group", "create", "team", "--members", bob)).GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Contains($"You were added to team by {alice}.", (await Ok(bob, "receive")).Output);
        Assert.Equal(id, Assert.Single(await Conversations(bob)).GetProperty("id").GetString());

        await Ok(bob, "send", id[..6], "named by its id");
        var inbox = Assert.Single((await Json(alice, "receive")).EnumerateArray());
        Assert.Equal(id, inbox.GetProperty("conversationId").GetString());
        Assert.Equal(["named by its id"], await History(alice, id[..8].ToUpperInvariant()));

        await Ok(alice, "group", "add", "team", carol);
        Assert.Contains($"{alice} added {carol} to team.", (await Ok(bob, "receive")).Output);
        Assert.Contains($"You were added to team by {alice}.", (await Ok(carol, "receive")).Output);
        Assert.Equal(id, Assert.Single(await Conversations(carol)).GetProperty("id").GetString());

        await Ok(carol, "group", "leave", "team");
        // Bob's device commits carol's departure on her behalf; alice's learns of it from that commit.
        Assert.Contains($"{carol} left team.", (await Ok(bob, "receive")).Output);
        Assert.Contains($"{carol} left team.", (await Ok(alice, "receive")).Output);

        await Ok(alice, "group", "add", "team", carol);
        await Ok(carol, "receive");
        await Ok(alice, "group", "remove", "team", carol);
        var removed = await Ok(bob, "receive");
        Assert.Contains($"{alice} removed {carol} from team.", removed.Output);
        Assert.DoesNotContain("left", removed.Output);

        var second = await Ok(alice, "group", "create", "team", "--members", carol);
        Assert.Contains("warning: you already had a conversation named team", second.Error);
        var ambiguous = await Run(alice, "send", "team", "which one?");
        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("Several groups are named team", ambiguous.Error);
        Assert.Equal(2, (await Conversations(alice)).Count(c => c.GetProperty("name").GetString() == "team"));
    }

    [Fact]
    public async Task A_listening_device_is_told_the_group_name_and_who_added_it()
    {
        using var devices = new Devices(fixture);
        var alice = await devices.CreateAsync("alice");
        var bob = await devices.CreateAsync("bob");
        var joined = new TaskCompletionSource<ConversationJoined>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.EventRaised += e =>
        {
            if (e is ConversationJoined j)
            {
                joined.TrySetResult(j);
            }
        };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listening = bob.ListenAsync(stop.Token);

        await alice.CreateGroupAsync("team", [bob.Username]);

        var told = await joined.Task.WaitAsync(stop.Token);
        Assert.Equal("team", told.Conversation.DisplayName);
        Assert.Equal(alice.Username, told.AddedBy);
        await stop.CancelAsync();
        await listening;
    }
}
