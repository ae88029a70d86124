using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

/// <summary>Voice notes: recorded from Chromium's fake microphone, sent as an audio file, played in the other page.</summary>
public sealed class VoiceNoteTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _alice = fixture.Alice;
    private readonly IPage _bob = fixture.Bob;

    [Fact]
    public async Task Alice_records_a_voice_note_and_bob_gets_a_player_with_its_length()
    {
        await _alice.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await WebFixture.Chats(_alice).GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync("bob");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Record voice note" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Status).GetByText("Recording…")).ToBeVisibleAsync();
        await Task.Delay(2000);
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Stop and send voice note" }).ClickAsync();

        await WebFixture.Chats(_bob).GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true }).ClickAsync();
        var player = WebFixture.Messages(_bob).Locator("audio");
        await Expect(player).ToHaveAccessibleNameAsync(new Regex(@"^Voice note, 0:0[2-4] from alice$"), new() { Timeout = 60_000 });
        Assert.NotNull(await player.GetAttributeAsync("controls"));
        // The recording arrives as audio, and the player can read it.
        bool playable = await player.EvaluateAsync<bool>("a => new Promise(r => { if (a.readyState >= 1) r(true); a.onloadedmetadata = () => r(true); a.onerror = () => r(false); a.load(); })");
        Assert.True(playable, string.Join("\n", fixture.Log));
        await WebFixture.ScreenshotAsync(_bob, "web-voice-note");
    }
}
