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
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Username" }).FillAsync("bob");
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

    private static async Task<string> SafetyNumberAsync(IPage page, string contact)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Safety number", Exact = true }).ClickAsync();
        var panel = page.GetByRole(AriaRole.Region, new() { Name = "Safety number with " + contact });
        var digits = panel.GetByLabel("Safety number", new() { Exact = true });
        await Expect(digits).ToHaveTextAsync(new Regex(@"\d{5}"));
        return (await digits.InnerTextAsync()).Trim();
    }
}
