using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>The page with the keyboard only: Tab and Shift+Tab reach every control with a visible focus, Enter acts,
/// Escape closes, and arrow keys move in the reaction picker.</summary>
public sealed class KeyboardTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _alice = fixture.Alice;

    [Fact]
    public async Task The_reaction_picker_opens_moves_and_picks_with_the_keyboard_and_Escape_closes_it()
    {
        var sent = await Cli.RunAsync("send", "alice", "pick a reaction", "--home", fixture.Home("carol"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await WebFixture.Chats(_alice).GetByRole(AriaRole.Link, new() { Name = "carol", Exact = true }).ClickAsync();
        var item = WebFixture.Messages(_alice).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "pick a reaction" });
        var more = item.GetByRole(AriaRole.Button, new() { Name = "More reactions" });
        await more.FocusAsync();
        await _alice.Keyboard.PressAsync("Enter");
        var picker = _alice.GetByRole(AriaRole.Listbox, new() { Name = "Choose a reaction" });
        await Expect(picker.GetByRole(AriaRole.Option).First).ToBeFocusedAsync();
        await Expect(more).ToHaveAttributeAsync("aria-expanded", "true");
        await WebFixture.ScreenshotAsync(_alice, "web-reaction-picker");
        for (int i = 0; i < 4; i++)
        {
            await _alice.Keyboard.PressAsync("ArrowRight");
        }
        await Expect(picker.GetByRole(AriaRole.Option, new() { Name = "🎉" })).ToBeFocusedAsync();
        await _alice.Keyboard.PressAsync("Enter");
        await Expect(picker).ToHaveCountAsync(0);
        await Expect(more).ToBeFocusedAsync();
        await Expect(item.GetByLabel("Reactions", new() { Exact = true })).ToContainTextAsync("🎉 1");

        // Escape closes it without picking, and the focus goes back to the button.
        await _alice.Keyboard.PressAsync("Enter");
        await Expect(picker.GetByRole(AriaRole.Option).First).ToBeFocusedAsync();
        await _alice.Keyboard.PressAsync("End");
        await Expect(picker.GetByRole(AriaRole.Option, new() { Name = "😡" })).ToBeFocusedAsync();
        await _alice.Keyboard.PressAsync("Escape");
        await Expect(picker).ToHaveCountAsync(0);
        await Expect(more).ToBeFocusedAsync();
        await Expect(item.GetByLabel("Reactions", new() { Exact = true })).Not.ToContainTextAsync("😡");
    }

    [Fact]
    public async Task Unlock_open_a_chat_send_reply_react_and_open_group_settings_with_the_keyboard_only()
    {
        string server = fixture.Server.Address.ToString();
        var created = await Cli.RunAsync("account", "create", "dave", "--server", server, "--home", fixture.Home("dave"));
        Assert.True(created.ExitCode == 0, created.ToString());
        foreach (string[] command in new[] { new[] { "send", "dave", "hello dave" }, ["group", "create", "crew", "--members", "dave"] })
        {
            var done = await Cli.RunAsync([.. command, "--home", fixture.Home("carol")], null);
            Assert.True(done.ExitCode == 0, done.ToString());
        }
        await using var web = await WebProcess.StartAsync(fixture.Home("dave"), passphraseInEnvironment: false);
        var page = await fixture.OpenAsync(web);

        // Once the page is live ("Unlock" works), the passphrase field has the focus; Enter unlocks.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Unlock" })).ToBeEnabledAsync();
        var passphrase = page.GetByLabel("Passphrase");
        await Expect(passphrase).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(Cli.Passphrase);
        await page.Keyboard.PressAsync("Enter");
        var chats = WebFixture.Chats(page);
        await Expect(chats).ToBeVisibleAsync();

        // Open the chat with carol: the focus goes to its title.
        var carol = chats.GetByRole(AriaRole.Link, new() { Name = "carol", Exact = true });
        await TabToAsync(page, carol);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "carol", Exact = true })).ToBeFocusedAsync();

        // Send.
        var box = page.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
        await TabToAsync(page, box);
        await page.Keyboard.TypeAsync("hi carol");
        await page.Keyboard.PressAsync("Enter");
        var messages = WebFixture.Messages(page);
        await Expect(messages.GetByText("hi carol")).ToBeVisibleAsync();

        // Reply: back to the message's "Reply"; Enter takes the focus to the message box.
        var hello = messages.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "hello dave" });
        await TabToAsync(page, hello.GetByRole(AriaRole.Button, new() { Name = "Reply" }), back: true);
        await page.Keyboard.PressAsync("Enter");
        await Expect(box).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("a reply");
        await page.Keyboard.PressAsync("Enter");
        var reply = messages.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "a reply" });
        await Expect(reply.Locator("blockquote")).ToContainTextAsync("hello dave");

        // React (on carol's message, not on the reply that quotes it).
        var thumbs = hello.Filter(new() { HasNotText = "a reply" }).GetByRole(AriaRole.Button, new() { Name = "React 👍" });
        await TabToAsync(page, thumbs, back: true);
        await page.Keyboard.PressAsync("Enter");
        await Expect(thumbs).ToHaveAttributeAsync("aria-pressed", "true");

        // The group and its settings.
        var crew = chats.GetByRole(AriaRole.Link, new() { Name = "crew", Exact = true });
        await TabToAsync(page, crew, back: true);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "crew", Exact = true })).ToBeFocusedAsync();
        var settings = page.GetByText("Group settings", new() { Exact = true });
        await TabToAsync(page, settings);
        await page.Keyboard.PressAsync("Enter");
        var add = page.GetByRole(AriaRole.Textbox, new() { Name = "Add member" });
        await Expect(add).ToBeVisibleAsync();
        await TabToAsync(page, add);
        await WebFixture.ScreenshotAsync(page, "web-keyboard");
    }

    /// <summary>Presses Tab (or Shift+Tab) until <paramref name="target"/> has the focus, then checks that the focus
    /// is visible (a keyboard focus with an outline).</summary>
    private static async Task TabToAsync(IPage page, ILocator target, bool back = false)
    {
        await Expect(target).ToBeVisibleAsync();
        for (int i = 0; i < 120; i++)
        {
            await page.Keyboard.PressAsync(back ? "Shift+Tab" : "Tab");
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
            {
                bool visible = await target.EvaluateAsync<bool>(
                    "e => e.matches(':focus-visible') && getComputedStyle(e).outlineStyle !== 'none' && parseFloat(getComputedStyle(e).outlineWidth) > 0");
                Assert.True(visible, "The focus on the target is not visible.");
                return;
            }
        }
        Assert.Fail("Tab never reached the target; the focus is on " + await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 200)"));
    }
}
