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
    }
}
