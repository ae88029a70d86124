using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>Desktop notifications for messages that arrive while the window is in the background.</summary>
public sealed class NotificationTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _bob = fixture.Bob;

    [Fact]
    public async Task A_message_arriving_while_the_window_is_hidden_shows_a_notification_with_sender_and_text()
    {
        // Headless Chromium shows no notifications: the page's Notification records them, and the window is hidden.
        await _bob.Context.AddInitScriptAsync("""
            window.__notes = [];
            window.Notification = class {
                static permission = "granted";
                static requestPermission() { return Promise.resolve("granted"); }
                constructor(title, options) { window.__notes.push({ title, body: options.body, tag: options.tag }); }
                close() {}
            };
            Object.defineProperty(document, "hidden", { get: () => true });
            """);
        await _bob.ReloadAsync();
        await Expect(WebFixture.Chats(_bob)).ToBeVisibleAsync();
        Assert.Equal(0, await _bob.GetByRole(AriaRole.Button, new() { Name = "Turn on notifications" }).CountAsync());

        var sent = await Cli.RunAsync("send", "bob", "are you there?", "--home", fixture.Home("carol"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await Expect(WebFixture.Chats(_bob).GetByRole(AriaRole.Link, new() { Name = "carol", Exact = true })).ToBeVisibleAsync();
        JsonElement notes = default;
        for (int i = 0; i < 100; i++)
        {
            notes = await _bob.EvaluateAsync<JsonElement>("window.__notes");
            if (notes.GetArrayLength() > 0)
            {
                break;
            }
            await Task.Delay(100);
        }
        var note = Assert.Single(notes.EnumerateArray());
        Assert.Equal("carol", note.GetProperty("title").GetString());
        Assert.Equal("are you there?", note.GetProperty("body").GetString());
        Assert.StartsWith("/chat/", note.GetProperty("tag").GetString());
    }
}
