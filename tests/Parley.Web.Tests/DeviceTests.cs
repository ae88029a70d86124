using System.Diagnostics;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>The Devices screen: list, link a new device with two codes, revoke; and a backup made in the page restored
/// into a new home as a new device.</summary>
public sealed class DeviceTests(WebFixture fixture) : IClassFixture<WebFixture>
{
    private readonly IPage _alice = fixture.Alice;

    [Fact]
    public async Task Alice_approves_a_new_device_in_the_page_sees_it_listed_and_revokes_it()
    {
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Devices", Exact = true }).ClickAsync();
        var devices = _alice.GetByRole(AriaRole.List, new() { Name = "Your devices" });
        await Expect(devices.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Expect(devices.GetByText("This device")).ToBeVisibleAsync();

        // A new device shows its link code and waits for the approval code.
        using var link = Process.Start(Cli.StartInfo(["--home", fixture.Home("alice-laptop"), "device", "link"]))!;
        string code = (await link.StandardOutput.ReadLineAsync())!;
        Assert.StartsWith("PL1.", code);
        await _alice.GetByRole(AriaRole.Textbox, new() { Name = "Link code" }).FillAsync(code);
        await _alice.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        var approval = _alice.GetByRole(AriaRole.Status, new() { Name = "Approval code" });
        await Expect(approval).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^PA1\\."));
        await Expect(_alice.GetByRole(AriaRole.Img, new() { Name = "QR code of the approval code" })).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_alice, "web-devices");
        await link.StandardInput.WriteLineAsync(await approval.InnerTextAsync());
        link.StandardInput.Close();
        string rest = await link.StandardOutput.ReadToEndAsync();
        await link.WaitForExitAsync();
        Assert.True(link.ExitCode == 0, rest + await link.StandardError.ReadToEndAsync());

        await _alice.ReloadAsync();
        await Expect(devices.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        await devices.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(_alice.GetByRole(AriaRole.Status).GetByText("Revoked ")).ToBeVisibleAsync();
        await Expect(devices.GetByText("Revoked", new() { Exact = true })).ToBeVisibleAsync();
        // The revoked device is refused by the server.
        var refused = await Cli.RunAsync("device", "list", "--home", fixture.Home("alice-laptop"));
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public async Task Alice_backs_up_in_the_page_and_a_fresh_home_restores_it_with_her_history()
    {
        var sent = await Cli.RunAsync("send", "alice", "remember the milk", "--home", fixture.Home("carol"));
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await Expect(WebFixture.Chats(_alice).GetByRole(AriaRole.Link, new() { Name = "carol", Exact = true })).ToBeVisibleAsync();

        // Back up now: the browser downloads the file, and the key is shown once, in groups, with a warning.
        await _alice.GetByRole(AriaRole.Link, new() { Name = "Backup", Exact = true }).ClickAsync();
        var download = await _alice.RunAndWaitForDownloadAsync(
            () => _alice.GetByRole(AriaRole.Button, new() { Name = "Back up now" }).ClickAsync());
        Assert.EndsWith(".parley-backup", download.SuggestedFilename);
        string file = Path.Combine(fixture.Root, download.SuggestedFilename);
        await download.SaveAsAsync(file);
        Assert.True(new FileInfo(file).Length > 0);
        await Expect(_alice.GetByRole(AriaRole.Status).Filter(new() { HasText = "Backed up" })).ToBeVisibleAsync();
        await Expect(_alice.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Shown only now" })).ToBeVisibleAsync();
        var key = _alice.GetByRole(AriaRole.Status, new() { Name = "Backup key" });
        await Expect(key.Locator("span")).ToHaveCountAsync(13);
        string keyText = string.Join('-', await key.Locator("span").AllInnerTextsAsync());
        Assert.Matches("^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$", keyText);
        await Expect(_alice.GetByRole(AriaRole.Button, new() { Name = "Copy backup key" })).ToBeVisibleAsync();
        await WebFixture.ScreenshotAsync(_alice, "web-backup");
        await _alice.GetByRole(AriaRole.Button, new() { Name = "I have kept the key" }).ClickAsync();
        await Expect(key).ToHaveCountAsync(0);

        // Restore in a home without an account, beside "Create account" and "Link this device".
        await using var web = await WebProcess.StartAsync(fixture.Home("alice-restored"), passphraseInEnvironment: false);
        var page = await fixture.OpenAsync(web);
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore from backup" }).ClickAsync();
        await page.GetByLabel("Backup file").SetInputFilesAsync(file);
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Backup key" }).FillAsync("ABCD-" + keyText[5..]);
        await page.GetByLabel("Passphrase for this device").FillAsync(Cli.Passphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The backup key does not open this backup; check the key you copied.");
        Assert.False(File.Exists(Path.Combine(fixture.Home("alice-restored"), Parley.Client.ParleyClient.StoreFileName)));
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Backup key" }).FillAsync(keyText);
        await WebFixture.ScreenshotAsync(page, "web-restore");
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore", Exact = true }).ClickAsync();
        await Expect(WebFixture.Chats(page)).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await WebFixture.Chats(page).GetByRole(AriaRole.Link, new() { Name = "carol", Exact = true }).ClickAsync();
        await Expect(WebFixture.Messages(page).GetByText("remember the milk")).ToBeVisibleAsync();

        // A new device of alice's account, beside her first.
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Your devices" }).GetByText("This device")).ToBeVisibleAsync();
        Assert.True(await page.GetByRole(AriaRole.List, new() { Name = "Your devices" }).GetByRole(AriaRole.Listitem).CountAsync() >= 2);
        await page.Context.CloseAsync();
    }
}
