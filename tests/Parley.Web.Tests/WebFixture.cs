using Microsoft.Playwright;
using Parley.Cli.Tests;

namespace Parley.Web.Tests;

using Cli = Parley.Cli.Tests.Cli;

/// <summary>One real server; alice and bob each with a home and their own <c>parley web</c> (alice's opens with
/// PARLEY_PASSPHRASE, bob unlocks his in the page), carol with the command line only; one Chromium with a page per person.</summary>
public sealed class WebFixture : IAsyncLifetime
{
    private readonly TempDirectory _root = new();
    private IPlaywright _playwright = null!;

    public ServerProcess Server { get; private set; } = null!;

    public WebProcess AliceWeb { get; private set; } = null!;

    public WebProcess BobWeb { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public IPage Alice { get; private set; } = null!;

    public IPage Bob { get; private set; } = null!;

    public string Home(string name) => _root.Sub(name);

    public string Root => _root.Path;

    /// <summary>What the pages wrote to their consoles (shown when a step fails).</summary>
    public List<string> Log { get; } = [];

    public async Task InitializeAsync()
    {
        // A shared machine under load: wait up to 20 s for what the pages should show.
        Assertions.SetDefaultExpectTimeout(20_000);
        Server = await ServerProcess.StartAsync(_root.Sub("server"));
        string server = Server.Address.ToString();
        var created = await Task.WhenAll(new[] { "alice", "bob", "carol" }.Select(name =>
            Cli.RunAsync("account", "create", name, "--server", server, "--home", Home(name))));
        Assert.All(created, r => Assert.True(r.ExitCode == 0, r.ToString()));

        var browserTask = Parley.Web.Tests.Browser.LaunchAsync();
        var aliceWeb = WebProcess.StartAsync(Home("alice"));
        var bobWeb = WebProcess.StartAsync(Home("bob"), passphraseInEnvironment: false);
        (_playwright, Browser) = await browserTask;
        AliceWeb = await aliceWeb;
        BobWeb = await bobWeb;

        Alice = await OpenAsync(AliceWeb);
        Bob = await OpenAsync(BobWeb);
        try
        {
            await Assertions.Expect(Bob.GetByRole(AriaRole.Button, new() { Name = "Unlock" })).ToBeEnabledAsync();
            await ScreenshotAsync(Bob, "web-unlock");
            await Bob.GetByLabel("Passphrase").FillAsync("not the passphrase");
            await Bob.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
            await Assertions.Expect(Bob.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That passphrase does not open this Parley home.");
            await Bob.GetByLabel("Passphrase").FillAsync(Cli.Passphrase);
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException("The page did not ask for the passphrase:\n" + string.Join("\n", Log) + "\n" + await Bob.ContentAsync(), e);
        }
        await Bob.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();
        await Assertions.Expect(Chats(Bob)).ToBeVisibleAsync();
        await Assertions.Expect(Chats(Alice)).ToBeVisibleAsync();
    }

    /// <summary>A new browser page (its own cookies) at the printed address.</summary>
    public async Task<IPage> OpenAsync(WebProcess web, int width = 1100, int height = 760)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) => Log.Add($"{message.Type}: {message.Text}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Log.Add($"{response.Status} {response.Url}");
            }
        };
        page.PageError += (_, error) => Log.Add("page error: " + error);
        await page.GotoAsync(web.Address.ToString());
        return page;
    }

    /// <summary>The navigation landmark "Chats".</summary>
    public static ILocator Chats(IPage page) => page.GetByRole(AriaRole.Navigation, new() { Name = "Chats" });

    /// <summary>The list "Messages" of the open conversation.</summary>
    public static ILocator Messages(IPage page) => page.GetByRole(AriaRole.List, new() { Name = "Messages" });

    /// <summary>The message of the open conversation whose text is exactly <paramref name="text"/>: never a reply that
    /// quotes it (the quote reads "name: text").</summary>
    public static ILocator Message(IPage page, string text)
        => Messages(page).Locator("li.message").Filter(new() { Has = page.GetByText(text, new() { Exact = true }) });

    /// <summary>Saves a screenshot for docs/web.md when PARLEY_WEB_SCREENSHOTS names a folder.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        string? folder = Environment.GetEnvironmentVariable("PARLEY_WEB_SCREENSHOTS");
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png") });
        }
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await AliceWeb.DisposeAsync();
        await BobWeb.DisposeAsync();
        await Server.DisposeAsync();
        _root.Dispose();
    }
}
