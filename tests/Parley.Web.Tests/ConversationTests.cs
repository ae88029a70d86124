using System.Security.Cryptography;
using Microsoft.Playwright;
using Parley.Cli.Tests;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>Two people in their browsers, each with their own <c>parley web</c>: chats, groups and files, live.</summary>
public sealed class ConversationTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _alice = fixture.Alice;
    private readonly IPage _bob = fixture.Bob;

    [Fact]
    public async Task Two_people_chat_live_both_ways_send_a_file_byte_identical_and_keep_history_across_reload()
    {
        // alice starts the chat from the page.
        await _alice.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync("bob");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Heading, new() { Name = "bob", Exact = true })).ToBeVisibleAsync();
        var message = _alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await message.FillAsync("hello bob");
        await message.PressAsync("Enter");
        await Expect(WebFixture.Messages(_alice).GetByText("hello bob")).ToBeVisibleAsync();

        // bob's page shows the new chat and the message without a reload.
        var aliceLink = WebFixture.Chats(_bob).GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true });
        await Expect(aliceLink).ToBeVisibleAsync();
        await Expect(aliceLink).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex(@"\d+ unread.*alice: "));
        await aliceLink.ClickAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("hello bob")).ToBeVisibleAsync();

        // Shift+Enter is a new line; the Send button sends.
        var bobMessage = _bob.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await bobMessage.FillAsync("hi alice");
        await bobMessage.PressAsync("Shift+Enter");
        await bobMessage.PressSequentiallyAsync("two lines");
        await _bob.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(WebFixture.Messages(_alice).GetByText("two lines")).ToBeVisibleAsync();
        Assert.Contains("hi alice\ntwo lines", await WebFixture.Messages(_alice).Locator(".text").Last.InnerTextAsync());

        // alice's message was read by bob.
        await Expect(WebFixture.Messages(_alice).Locator("li", new() { HasText = "hello bob" }).Locator(".delivery")).ToHaveTextAsync("Read",
            new() { Timeout = 30_000 });

        // A command on alice's home runs through her `parley web` (the local endpoint) and shows up in both pages.
        var sent = await Cli.RunAsync("send", "bob", "from the terminal", "--home", fixture.Home("alice"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await Expect(WebFixture.Messages(_alice).GetByText("from the terminal")).ToBeVisibleAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("from the terminal")).ToBeVisibleAsync();

        // A 2 MB file: attached in alice's page, downloaded from bob's, byte for byte.
        byte[] bytes = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        string file = Path.Combine(fixture.Root, "report.bin");
        await File.WriteAllBytesAsync(file, bytes);
        await _alice.GetByLabel("Attach file").SetInputFilesAsync(file);
        var fileLink = WebFixture.Messages(_bob).GetByRole(AriaRole.Link, new() { Name = "report.bin", Exact = true });
        await Expect(fileLink).ToBeVisibleAsync(new() { Timeout = 90_000 });
        var download = await _bob.RunAndWaitForDownloadAsync(() => fileLink.ClickAsync());
        Assert.Equal("report.bin", download.SuggestedFilename);
        string saved = Path.Combine(fixture.Root, "downloaded.bin");
        await download.SaveAsAsync(saved);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await File.ReadAllBytesAsync(saved)));
        // The plaintext was staged only inside the homes, and is gone once sent and downloaded.
        foreach (string home in new[] { fixture.Home("alice"), fixture.Home("bob") })
        {
            string staging = Path.Combine(home, "web-files");
            for (int i = 0; i < 50 && Directory.Exists(staging) && Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Any(); i++)
            {
                await Task.Delay(100);
            }
            Assert.Empty(Directory.Exists(staging) ? Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories) : []);
            if (Directory.Exists(staging) && !OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(staging));
            }
        }

        // An image is shown as a preview.
        string image = Path.Combine(fixture.Root, "dot.png");
        await File.WriteAllBytesAsync(image, Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="));
        await _alice.GetByLabel("Attach file").SetInputFilesAsync(image);
        var preview = WebFixture.Messages(_bob).GetByRole(AriaRole.Img, new() { Name = "dot.png" });
        await Expect(preview).ToBeVisibleAsync();
        await Expect(preview).ToHaveJSPropertyAsync("naturalWidth", 1);

        await WebFixture.ScreenshotAsync(_alice, "web-chat");
        // At phone width, in the dark: the conversation alone, with a way back to the chats.
        await _alice.SetViewportSizeAsync(390, 760);
        await _alice.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await Expect(_alice.GetByRole(AriaRole.Link, new() { Name = "Chats", Exact = true })).ToBeVisibleAsync();
        await Expect(WebFixture.Chats(_alice)).ToBeHiddenAsync();
        await WebFixture.ScreenshotAsync(_alice, "web-phone-dark");
        await _alice.SetViewportSizeAsync(1100, 760);
        await _alice.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });

        // History stays across a reload (the page holds nothing; the device does).
        await _bob.ReloadAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("hello bob")).ToBeVisibleAsync();
        await Expect(WebFixture.Messages(_bob).GetByRole(AriaRole.Link, new() { Name = "report.bin" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_group_of_three_made_in_the_page_talks_live()
    {
        await _alice.GetByRole(AriaRole.Button, new() { Name = "New group" }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Group name" }).FillAsync("trio");
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Members" }).FillAsync("bob, carol");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create group" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Heading, new() { Name = "trio", Exact = true })).ToBeVisibleAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("hello trio");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();

        var trio = WebFixture.Chats(_bob).GetByRole(AriaRole.Link, new() { Name = "trio", Exact = true });
        await Expect(trio).ToBeVisibleAsync();
        await trio.ClickAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("hello trio")).ToBeVisibleAsync();
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("bob is here");
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).PressAsync("Enter");

        // carol, on the command line, gets both and answers; both pages show it live.
        var received = await Cli.RunAsync("receive", "--wait", "30", "--home", fixture.Home("carol"));
        Assert.Contains("hello trio", received.Output);
        var sent = await Cli.RunAsync("send", "trio", "carol too", "--home", fixture.Home("carol"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await Expect(WebFixture.Messages(_alice).GetByText("carol too")).ToBeVisibleAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("carol too")).ToBeVisibleAsync();
        await Expect(WebFixture.Messages(_alice).GetByText("bob is here")).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_bob, "web-group");

        // Renamed in alice's page: bob's page follows live.
        await _alice.GetByText("Group settings").ClickAsync();
        // Every device of the three publishes suite-83 key packages, so the group is post-quantum.
        await Expect(_alice.GetByText("Encryption: MLS cipher suite 83 (post-quantum)")).ToBeVisibleAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Group name" }).FillAsync("quartet soon");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Expect(_bob.GetByRole(AriaRole.Heading, new() { Name = "quartet soon", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Replies_edits_reactions_and_deletes_reach_the_other_page_live()
    {
        await OpenChatAsync(_alice, "bob");
        await OpenChatAsync(_bob, "alice");
        var composer = _alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await composer.FillAsync("lunch at noon?");
        await composer.PressAsync("Enter");
        var original = WebFixture.Message(_bob, "lunch at noon?");
        await Expect(original).ToBeVisibleAsync();

        // bob replies to it and reacts.
        await original.GetByRole(AriaRole.Button, new() { Name = "Reply" }).ClickAsync();
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("yes, noon");
        await _bob.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await original.GetByRole(AriaRole.Button, new() { Name = "React 👍" }).ClickAsync();
        var reply = WebFixture.Messages(_alice).Locator("li", new() { HasText = "yes, noon" });
        await Expect(reply.Locator("blockquote")).ToContainTextAsync("lunch at noon?");
        var mine = WebFixture.Message(_alice, "lunch at noon?");
        await Expect(mine.GetByRole(AriaRole.Paragraph).Filter(new() { HasText = "👍" })).ToBeVisibleAsync();

        // alice edits her message, then deletes it for everyone.
        await mine.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await composer.FillAsync("lunch at one?");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var edited = WebFixture.Message(_bob, "lunch at one?");
        await Expect(edited).ToContainTextAsync("edited");
        await WebFixture.Message(_alice, "lunch at one?").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(WebFixture.Messages(_bob).GetByText("This message was deleted.").Last).ToBeVisibleAsync();
        Assert.DoesNotContain(fixture.Log, line => line.Contains("Content Security Policy", StringComparison.Ordinal));

        // Search finds bob's reply and opens it in its chat.
        await _alice.GetByRole(AriaRole.Searchbox, new() { Name = "Search" }).FillAsync("noon");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        var results = _alice.GetByRole(AriaRole.Region, new() { Name = "Search results" });
        await results.GetByRole(AriaRole.Link).First.ClickAsync();
        await Expect(WebFixture.Messages(_alice).Locator("li.highlight")).ToContainTextAsync("noon");

        // A disappearing timer set in bob's page shows in alice's.
        await _bob.GetByLabel("Disappearing messages").SelectOptionAsync("1 hour");
        await Expect(WebFixture.Messages(_alice).Locator("li", new() { HasText = "set disappearing messages" }).Last).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_new_home_creates_its_account_in_the_page()
    {
        await using var web = await WebProcess.StartAsync(fixture.Home("dave"), passphraseInEnvironment: false, server: fixture.Server.Address.ToString());
        var page = await fixture.OpenAsync(web);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Server" })).ToHaveValueAsync(fixture.Server.Address.ToString());
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync("dave");
        await page.GetByLabel("Passphrase").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("at least 8 characters");
        await page.GetByLabel("Passphrase").FillAsync(Cli.Passphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(WebFixture.Chats(page)).ToBeVisibleAsync();

        // The account is real: alice reaches dave, and his page shows it live.
        var sent = await Cli.RunAsync("send", "dave", "welcome, dave", "--home", fixture.Home("alice"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await WebFixture.Chats(page).GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true }).ClickAsync();
        await Expect(WebFixture.Messages(page).GetByText("welcome, dave")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_second_device_is_linked_in_the_page_and_joins_the_chats()
    {
        string home = fixture.Home("alice-laptop");
        await using var web = await WebProcess.StartAsync(home, passphraseInEnvironment: false);
        var page = await fixture.OpenAsync(web);
        await page.GetByRole(AriaRole.Button, new() { Name = "Link this device" }).ClickAsync();
        string code = (await page.GetByRole(AriaRole.Status, new() { Name = "Link code" }).InnerTextAsync()).Trim();
        await WebFixture.ScreenshotAsync(page, "web-link");

        // alice approves on her first device: the command runs inside her running `parley web`.
        var approved = await Cli.RunAsync("device", "approve", code, "--json", "--home", fixture.Home("alice"));
        Assert.True(approved.ExitCode == 0, approved.ToString());
        string approval = Cli.Json(approved).GetProperty("detail").GetString()!;
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Approval code" }).FillAsync(approval);
        await page.GetByLabel("Passphrase").FillAsync(Cli.Passphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Link", Exact = true }).ClickAsync();
        await Expect(page.GetByText("alice", new() { Exact = true }).First).ToBeVisibleAsync();
        await Expect(WebFixture.Chats(page)).ToBeVisibleAsync();

        // The first device adds the new one to its chats; a message to alice then reaches the laptop too.
        await OpenChatAsync(_alice, "bob");
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" }).FillAsync("laptop joins");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        var bobLink = WebFixture.Chats(page).GetByRole(AriaRole.Link, new() { Name = "bob", Exact = true });
        await Expect(bobLink).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_chat_of_3000_messages_opens_at_the_newest_scrolls_to_the_oldest_and_a_search_jumps_to_an_old_one()
    {
        string home = fixture.Home("erin");
        string server = fixture.Server.Address.ToString();
        Assert.Equal(0, (await Cli.RunAsync("account", "create", "erin", "--server", server, "--home", home)).ExitCode);
        var first = await Cli.RunAsync("send", "alice", "the first message", "--home", home);
        Assert.True(first.ExitCode == 0, first.ToString());
        LongHistory.Fill(home, Cli.Passphrase, "alice", 3000);
        var last = await Cli.RunAsync("send", "alice", "the newest message", "--home", home);
        Assert.True(last.ExitCode == 0, last.ToString());

        await using var web = await WebProcess.StartAsync(home);
        var page = await fixture.OpenAsync(web);
        await WebFixture.Chats(page).GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true }).ClickAsync();
        var messages = WebFixture.Messages(page);

        // It opens at the newest, and the page holds only the messages around what is in view.
        await Expect(WebFixture.Message(page, "the newest message")).ToBeInViewportAsync();
        Assert.InRange(await messages.Locator("li.message").CountAsync(), 1, 100);

        // Scrolled to the top, the oldest is shown.
        var oldest = WebFixture.Message(page, "the first message");
        for (int i = 0; i < 20 && !await oldest.IsVisibleAsync(); i++)
        {
            await messages.EvaluateAsync("list => list.scrollTop = 0");
            await page.WaitForTimeoutAsync(250);
        }
        await Expect(oldest).ToBeInViewportAsync();
        await Expect(WebFixture.Message(page, "note 0000")).ToBeVisibleAsync();

        // A search result in the middle of the history: the list jumps there and the message has the focus.
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search" }).FillAsync("1500");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Region, new() { Name = "Search results" }).GetByRole(AriaRole.Link).First.ClickAsync();
        var found = WebFixture.Message(page, "note 1500");
        await Expect(found).ToBeInViewportAsync();
        await Expect(found).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bhighlight\b"));
        await Expect(found).ToBeFocusedAsync();
        Assert.InRange(await messages.Locator("li.message").CountAsync(), 1, 100);
        Assert.DoesNotContain(fixture.Log, line => line.Contains("Content Security Policy", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Two_downloads_of_one_received_file_at_the_same_time_both_get_the_whole_file()
    {
        await OpenChatAsync(_bob, "alice");
        byte[] bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        string file = Path.Combine(fixture.Root, "twice.bin");
        await File.WriteAllBytesAsync(file, bytes);
        var sent = await Cli.RunAsync(["send-file", "bob", file, "--home", fixture.Home("alice")], null, TimeSpan.FromSeconds(120));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var link = WebFixture.Messages(_bob).GetByRole(AriaRole.Link, new() { Name = "twice.bin", Exact = true });
        await Expect(link).ToBeVisibleAsync(new() { Timeout = 90_000 });
        string href = (await link.GetAttributeAsync("href"))!;

        // Both requests start before this device has any copy of the file: one downloads it, the other waits for it.
        var requests = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => _bob.Context.APIRequest.GetAsync(fixture.BobWeb.Root + href.TrimStart('/'))));
        foreach (var response in requests)
        {
            Assert.Equal(200, response.Status);
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await response.BodyAsync()));
        }
    }

    [Fact]
    public async Task Listen_on_a_home_that_parley_web_holds_fails_with_one_sentence()
    {
        var listen = await Cli.RunAsync(["listen", "--home", fixture.Home("alice")], null, TimeSpan.FromSeconds(60));
        Cli.AssertOneSentence(listen, "Another Parley program (`parley web`, `parley listen` or `parley chat`, or a `parley web` waiting for its passphrase) is using this home; unlock or stop it, or wait for it to finish.");
    }

    private static async Task OpenChatAsync(IPage page, string name)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true })).ToBeVisibleAsync();
    }
}
