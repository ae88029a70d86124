using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

/// <summary>Channels in the page: a private channel joined by invite link, posts arriving; a public channel by name.</summary>
public sealed class ChannelTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _alice = fixture.Alice;
    private readonly IPage _bob = fixture.Bob;

    [Fact]
    public async Task Bob_joins_alices_private_channel_by_link_and_her_post_arrives_and_reads_her_public_channel()
    {
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Channel name", Exact = true }).FillAsync("news");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create private channel" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Heading, new() { Name = "news", Exact = true })).ToBeVisibleAsync();
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create invite link" }).ClickAsync();
        var invite = _alice.GetByRole(AriaRole.Status, new() { Name = "Invite link" });
        await Expect(invite).ToHaveTextAsync(new Regex("^parley-invite:"));
        string link = await invite.InnerTextAsync();

        await _bob.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Invite link" }).FillAsync(link);
        await _bob.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Expect(_bob.GetByRole(AriaRole.Heading, new() { Name = "news", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(0, await _bob.GetByRole(AriaRole.Button, new() { Name = "Post", Exact = true }).CountAsync());

        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Post", Exact = true }).FillAsync("first post");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Post", Exact = true }).ClickAsync();
        var bobPosts = _bob.GetByRole(AriaRole.List, new() { Name = "Posts" });
        await Expect(bobPosts.GetByText("first post")).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_bob, "web-channel");

        // A public channel: created and published in alice's page, read by name in bob's.
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Channel name", Exact = true }).FillAsync("town");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create public channel" }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Post", Exact = true }).FillAsync("open to all");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.List, new() { Name = "Posts" }).GetByText("open to all")).ToBeVisibleAsync();
        await _bob.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Public channel name" }).FillAsync("town");
        await _bob.GetByRole(AriaRole.Button, new() { Name = "Read" }).ClickAsync();
        await Expect(_bob.GetByRole(AriaRole.List, new() { Name = "Posts" }).GetByText("open to all")).ToBeVisibleAsync();
    }
}
