using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

/// <summary>Safety numbers, verification, blocking and reports in the page.</summary>
public sealed class SafetyTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _alice = fixture.Alice;
    private readonly IPage _bob = fixture.Bob;

    [Fact]
    public async Task Both_pages_show_the_same_safety_number_and_a_QR_code_and_mark_verified()
    {
        await _alice.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await WebFixture.Chats(_alice).GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync("bob");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        var message = _alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await message.FillAsync("compare numbers?");
        await message.PressAsync("Enter");
        await WebFixture.Chats(_bob).GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true }).ClickAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("compare numbers?")).ToBeVisibleAsync();

        string aliceNumber = await SafetyNumberAsync(_alice, "bob");
        string bobNumber = await SafetyNumberAsync(_bob, "alice");
        Assert.Matches(new Regex(@"^(\d{5} ){11}\d{5}$"), aliceNumber);
        Assert.Equal(aliceNumber, bobNumber);
        await Expect(_alice.GetByRole(AriaRole.Img, new() { Name = "QR code of the safety number with bob" })).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_alice, "web-safety");

        await _alice.GetByRole(AriaRole.Button, new() { Name = "Mark verified" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Status).GetByText("bob is verified.")).ToBeVisibleAsync();
        // The device keeps it: the command line on alice's home agrees.
        var verify = await Parley.Cli.Tests.Cli.RunAsync("verify", "bob", "--home", fixture.Home("alice"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("bob is verified.", verify.Output);
    }

    [Fact]
    public async Task Alice_reports_a_message_from_carol_blocks_her_and_unblocks_her_from_the_blocked_screen()
    {
        var sent = await Parley.Cli.Tests.Cli.RunAsync("send", "alice", "cheap watches here", "--home", fixture.Home("carol"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await WebFixture.Chats(_alice).GetByRole(AriaRole.Link, new() { Name = "carol", Exact = true }).ClickAsync();
        var item = WebFixture.Messages(_alice).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "cheap watches here" });
        await item.GetByRole(AriaRole.Button, new() { Name = "Report" }).ClickAsync();
        await item.GetByRole(AriaRole.Combobox, new() { Name = "Reason" }).SelectOptionAsync("Spam");
        await item.GetByRole(AriaRole.Button, new() { Name = "Send report" }).ClickAsync();
        await Expect(item.GetByRole(AriaRole.Status)).ToHaveTextAsync("Reported to the server's operator, with proof of who sent it.");

        await _alice.GetByRole(AriaRole.Button, new() { Name = "Block carol" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Button, new() { Name = "Unblock carol" })).ToBeVisibleAsync();
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Blocked", Exact = true }).ClickAsync();
        var blocked = _alice.GetByRole(AriaRole.List, new() { Name = "Blocked accounts" });
        await Expect(blocked.GetByRole(AriaRole.Listitem)).ToHaveTextAsync(new[] { new Regex("^carol") });
        // The server keeps the block: the command line on alice's home lists it.
        var list = await Parley.Cli.Tests.Cli.RunAsync("blocks", "--home", fixture.Home("alice"));
        Assert.Contains("carol", list.Output + list.Error);

        await blocked.GetByRole(AriaRole.Button, new() { Name = "Unblock carol" }).ClickAsync();
        await Expect(blocked.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(0);
        await Expect(_alice.GetByText("You block no one.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task When_a_contact_reinstalls_the_changed_banner_shows_until_the_new_number_is_marked_verified()
    {
        string server = fixture.Server.Address.ToString();
        var created = await Parley.Cli.Tests.Cli.RunAsync("account", "create", "dave", "--server", server, "--home", fixture.Home("dave"));
        Assert.True(created.ExitCode == 0, created.ToString());
        await _alice.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await WebFixture.Chats(_alice).GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync("dave");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Heading, new() { Name = "dave", Exact = true })).ToBeVisibleAsync();
        var banner = _alice.GetByRole(AriaRole.Alert, new() { Name = "Safety number changed" });
        await Expect(banner).ToHaveCountAsync(0);

        // dave loses his device and starts again: the operator frees the name of his lost account, and a new home
        // registers it with a new account key.
        FreeUsername(fixture.Server.DataDirectory, "dave");
        created = await Parley.Cli.Tests.Cli.RunAsync("account", "create", "dave", "--server", server, "--home", fixture.Home("dave-again"));
        Assert.True(created.ExitCode == 0, created.ToString());

        await _alice.GetByRole(AriaRole.Button, new() { Name = "Safety number", Exact = true }).ClickAsync();
        await Expect(banner).ToContainTextAsync("dave’s safety number changed.");
        await WebFixture.ScreenshotAsync(_alice, "web-key-changed");
        await banner.GetByRole(AriaRole.Button, new() { Name = "Accept the new key" }).ClickAsync();
        // Accepted but not compared yet: the banner stays, now with the new number to compare.
        await Expect(banner).ToContainTextAsync("dave’s new safety number is not verified.");
        var digits = _alice.GetByRole(AriaRole.Region, new() { Name = "Safety number with dave" }).GetByLabel("Safety number", new() { Exact = true });
        await Expect(digits).ToHaveTextAsync(new Regex(@"^(\d{5} ){11}\d{5}$"));
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Mark verified" }).ClickAsync();
        await Expect(banner).ToHaveCountAsync(0);
        await Expect(_alice.GetByRole(AriaRole.Status).GetByText("dave is verified.")).ToBeVisibleAsync();
    }

    /// <summary>What an operator does for someone who lost every device: renames the old account out of the way.</summary>
    private static void FreeUsername(string data, string username)
    {
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "parley.db")};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = """
                PRAGMA busy_timeout = 10000;
                DELETE FROM username_skeletons WHERE account_id = (SELECT account_id FROM accounts WHERE username = $name);
                UPDATE accounts SET username = $name || '-lost' WHERE username = $name;
                """;
            command.Parameters.AddWithValue("$name", username);
            Assert.True(command.ExecuteNonQuery() > 0, "no account named " + username);
        }
    }

    private static async Task<string> SafetyNumberAsync(IPage page, string contact)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Safety number", Exact = true }).ClickAsync();
        var panel = page.GetByRole(AriaRole.Region, new() { Name = "Safety number with " + contact });
        var digits = panel.GetByLabel("Safety number", new() { Exact = true });
        await Expect(digits).ToHaveTextAsync(new Regex(@"\d{5}"));
        return (await digits.InnerTextAsync()).Trim();
    }
}
