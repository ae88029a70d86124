using Microsoft.Playwright;

namespace Parley.Web.Tests;

/// <summary>Debian's Chromium (<c>/usr/bin/chromium</c>, installed by scripts/test.sh and .ci/run) under Playwright.</summary>
public static class Browser
{
    public const string Chromium = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing; install it with `apt-get install -y chromium` (scripts/test.sh does).");
        }
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // A fake microphone (a tone) that needs no permission prompt, for voice notes.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
        });
        return (playwright, browser);
    }
}
