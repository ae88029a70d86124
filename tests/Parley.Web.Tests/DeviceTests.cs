using System.Diagnostics;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>The Devices screen: list, link a new device with two codes, revoke.</summary>
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
}
