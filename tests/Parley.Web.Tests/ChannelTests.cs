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

    [Fact]
    public async Task Alice_approves_bobs_request_live_edits_and_deletes_a_post_for_him_manages_admins_and_bob_leaves()
    {
        // While a channels screen is open, the page refreshes the channels every 2 s (instead of the listener's 15 s tick):
        // the request, the approval and the posts show within seconds (12 s allows for a loaded machine).
        var live = new LocatorAssertionsToBeVisibleOptions { Timeout = 12_000 };
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Channel name", Exact = true }).FillAsync("club");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create private channel" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Heading, new() { Name = "club", Exact = true })).ToBeVisibleAsync();
        await _alice.GetByRole(AriaRole.Checkbox, new() { Name = "Approve each request to join" }).CheckAsync();
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create invite link" }).ClickAsync();
        var invite = _alice.GetByRole(AriaRole.Status, new() { Name = "Invite link" });
        await Expect(invite).ToHaveTextAsync(new Regex("^parley-invite:"));
        string link = await invite.InnerTextAsync();
        var requests = _alice.GetByRole(AriaRole.List, new() { Name = "Join requests" });
        await Expect(requests.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(0);

        await _bob.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Invite link" }).FillAsync(link);
        await _bob.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Expect(Said(_bob, "once an admin approves")).ToBeVisibleAsync();

        // The request appears in alice's page by itself, with no name (subscribers are pseudonymous).
        await Expect(requests.GetByRole(AriaRole.Listitem)).ToBeVisibleAsync(live);
        await WebFixture.ScreenshotAsync(_alice, "web-channel-requests");
        await requests.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Approve request ") }).ClickAsync();
        await Expect(Said(_alice, "Approved request")).ToBeVisibleAsync();
        await Expect(requests.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(0);

        var clubLink = _bob.GetByRole(AriaRole.List, new() { Name = "Your channels" }).GetByRole(AriaRole.Link, new() { Name = "club", Exact = true });
        await Expect(clubLink).ToBeVisibleAsync(live);
        await clubLink.ClickAsync();
        await Expect(_bob.GetByRole(AriaRole.Heading, new() { Name = "club", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(0, await _bob.GetByRole(AriaRole.Checkbox, new() { Name = "Approve each request to join" }).CountAsync());
        await Expect(_bob.GetByRole(AriaRole.Button, new() { Name = "Leave channel" })).ToBeVisibleAsync();

        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Post", Exact = true }).FillAsync("meeting at noon");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Post", Exact = true }).ClickAsync();
        var bobPosts = _bob.GetByRole(AriaRole.List, new() { Name = "Posts" });
        await Expect(bobPosts.GetByText("meeting at noon")).ToBeVisibleAsync(live);

        var alicePost = _alice.GetByRole(AriaRole.List, new() { Name = "Posts" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "meeting at noon" });
        await alicePost.GetByRole(AriaRole.Button, new() { Name = "Edit", Exact = true }).ClickAsync();
        await alicePost.GetByRole(AriaRole.Textbox, new() { Name = "Edited post" }).FillAsync("meeting at one");
        await alicePost.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(bobPosts.GetByText("meeting at one")).ToBeVisibleAsync(live);
        await Expect(bobPosts.GetByText("meeting at noon")).ToHaveCountAsync(0);

        var edited = _alice.GetByRole(AriaRole.List, new() { Name = "Posts" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "meeting at one" });
        await edited.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(bobPosts.GetByText("This post was deleted.")).ToBeVisibleAsync(live);
        await Expect(bobPosts.GetByText("meeting at one")).ToHaveCountAsync(0);

        // Admins and the history setting (carol has a device with key packages, from the command line).
        var admins = _alice.GetByRole(AriaRole.List, new() { Name = "Admins" });
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "New admin’s user name" }).FillAsync("carol");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Add admin" }).ClickAsync();
        await Expect(admins.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "carol" })).ToBeVisibleAsync();
        await _alice.GetByRole(AriaRole.Spinbutton, new() { Name = "Recent posts for new subscribers" }).FillAsync("5");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Save history setting" }).ClickAsync();
        await Expect(Said(_alice, "New subscribers get the 5 most recent posts.")).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_alice, "web-channel-admin");
        // At phone width, in the dark: the admin's controls stay usable, one under another.
        await _alice.SetViewportSizeAsync(390, 760);
        await _alice.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await Expect(_alice.GetByRole(AriaRole.Button, new() { Name = "Add admin" })).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_alice, "web-channel-phone-dark");
        await _alice.SetViewportSizeAsync(1100, 760);
        await _alice.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await admins.GetByRole(AriaRole.Button, new() { Name = "Remove admin carol" }).ClickAsync();
        await Expect(admins.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "carol" })).ToHaveCountAsync(0);

        await _bob.GetByRole(AriaRole.Button, new() { Name = "Leave channel" }).ClickAsync();
        try
        {
            await Expect(Said(_bob, "You left club.")).ToBeVisibleAsync();
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException("The page did not leave:\n" + string.Join("\n", fixture.Log), e);
        }
        await Expect(_bob.GetByRole(AriaRole.List, new() { Name = "Your channels" }).GetByRole(AriaRole.Link, new() { Name = "club", Exact = true }))
            .ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Alice_lists_and_revokes_an_invite_and_joining_with_the_revoked_link_fails()
    {
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Channel name", Exact = true }).FillAsync("circle");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create private channel" }).ClickAsync();
        // Run first in the class, this waits for the device's first sync after the app started; on a loaded machine that
        // takes longer than the page's usual 20 s.
        await Expect(_alice.GetByRole(AriaRole.Heading, new() { Name = "circle", Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var invites = _alice.GetByRole(AriaRole.List, new() { Name = "Invite links" });
        await Expect(invites.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(0);

        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create invite link" }).ClickAsync();
        var invite = _alice.GetByRole(AriaRole.Status, new() { Name = "Invite link" });
        await Expect(invite).ToHaveTextAsync(new Regex("^parley-invite:"));
        string link = await invite.InnerTextAsync();
        await Expect(invites.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Expect(invites.GetByRole(AriaRole.Listitem)).ToContainTextAsync("(the link above) · joins at once · never expires");

        // A second invite, then the first one revoked: only the second stays listed.
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Create invite link" }).ClickAsync();
        await Expect(invites.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        var first = invites.GetByRole(AriaRole.Listitem).Filter(new() { HasNotText = "the link above" });
        string firstName = (await first.GetByRole(AriaRole.Button).GetAttributeAsync("aria-label"))!;
        Assert.Matches("^Revoke invite [0-9A-Za-z_-]+$", firstName);
        await first.GetByRole(AriaRole.Button, new() { Name = firstName }).ClickAsync();
        await Expect(Said(_alice, "its link no longer works")).ToBeVisibleAsync();
        await Expect(invites.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Expect(invites.GetByRole(AriaRole.Button, new() { Name = firstName })).ToHaveCountAsync(0);

        // The revoked link: bob is told so in one sentence, and the channel is not his.
        await _bob.GetByRole(AriaRole.Link, new() { Name = "Channels", Exact = true }).ClickAsync();
        await _bob.GetByRole(AriaRole.Textbox, new() { Name = "Invite link" }).FillAsync(link);
        await _bob.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Expect(_bob.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This invite link does not work: it was revoked, or it never existed.");
        await Expect(_bob.GetByRole(AriaRole.List, new() { Name = "Your channels" }).GetByRole(AriaRole.Link, new() { Name = "circle", Exact = true }))
            .ToHaveCountAsync(0);
    }

    /// <summary>A status message of the page with <paramref name="text"/>.</summary>
    private static ILocator Said(IPage page, string text) => page.GetByRole(AriaRole.Status).Filter(new() { HasText = text });
}
