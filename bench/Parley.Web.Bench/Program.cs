// Times what a person waits for in `parley web` (docs/benchmarks.md, "Web app"):
//   1. click-to-shown: alice clicks Send in her page until the message is shown in bob's page (two `parley web`
//      processes, one server, all on loopback; goal p95 < 300 ms);
//   2. a chat of 100,000 messages shown: clicked in the chat list, and opened by its address (a page load), until its
//      newest message is shown (goal < 1 s).
// Usage: dotnet bench/Parley.Web.Bench/bin/Release/net10.0/Parley.Web.Bench.dll [messages] [history]
using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using Parley.Testing;
using Parley.Web.Tests;

const string Passphrase = "correct horse battery staple";
int messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
int history = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
string root = Directory.CreateTempSubdirectory("parley-web-bench-").FullName;
var processes = new List<Process>();
try
{
    var server = Start(["serve", "--data", Path.Combine(root, "server"), "--urls", "http://127.0.0.1:0",
        "--Parley:AnonymousRequestsPerMinute", "100000", "--Parley:RequestsPerMinute", "100000"], production: true);
    var serverLines = new List<string>();
    Uri serverAddress = await ServerListening.WaitAsync(server, serverLines, TimeSpan.FromSeconds(60));
    string Home(string name) => Path.Combine(root, name);
    foreach (string name in new[] { "alice", "bob", "carol" })
    {
        await RunAsync(["account", "create", name, "--server", serverAddress.ToString(), "--home", Home(name)]);
    }
    await RunAsync(["send", "bob", "hello", "--home", Home("alice")]);
    await RunAsync(["send", "alice", "the first message", "--home", Home("carol")]);
    var fill = Stopwatch.StartNew();
    LongHistory.Fill(Home("carol"), Passphrase, "alice", history);
    await RunAsync(["send", "alice", "the newest message", "--home", Home("carol")]);
    Console.WriteLine($"history: {history} messages written in {fill.Elapsed.TotalSeconds:F1} s");

    var aliceWeb = await StartWebAsync(Home("alice"));
    var bobWeb = await StartWebAsync(Home("bob"));
    var carolWeb = await StartWebAsync(Home("carol"));
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    });

    // 1. Click-to-shown between two people.
    var alice = await OpenAsync(browser, aliceWeb);
    var bob = await OpenAsync(browser, bobWeb);
    await alice.GetByRole(AriaRole.Link, new() { Name = "bob", Exact = true }).ClickAsync();
    await bob.GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true }).ClickAsync();
    var composer = alice.GetByRole(AriaRole.Textbox, new() { Name = "Message" });
    var send = alice.GetByRole(AriaRole.Button, new() { Name = "Send" });
    var shown = new List<double>();
    for (int i = -5; i < messages; i++)
    {
        string text = $"ping {i + 5:D4}";
        await composer.FillAsync(text);
        var arrived = bob.GetByText(text, new() { Exact = true });
        var clock = Stopwatch.StartNew();
        await send.ClickAsync();
        await arrived.WaitForAsync(new() { Timeout = 30_000 });
        if (i >= 0)
        {
            shown.Add(clock.Elapsed.TotalMilliseconds);
        }
    }
    Report($"click-to-shown (alice's Send to bob's page), {messages} messages", shown);

    // 2. A chat of `history` messages shown, from the chat list and by its address.
    var carol = await OpenAsync(browser, carolWeb);
    var newest = carol.GetByText("the newest message", new() { Exact = true });
    var chat = carol.GetByRole(AriaRole.Link, new() { Name = "alice", Exact = true });
    await chat.ClickAsync();
    await newest.WaitForAsync(new() { Timeout = 60_000 });
    string address = carol.Url;
    var fromList = new List<double>();
    var onLoad = new List<double>();
    for (int i = -2; i < 15; i++)
    {
        await carol.GotoAsync($"http://127.0.0.1:{carolWeb.Port}/");
        await chat.WaitForAsync();
        var clock = Stopwatch.StartNew();
        await chat.ClickAsync();
        await newest.WaitForAsync(new() { Timeout = 60_000 });
        double clicked = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        await carol.GotoAsync(address);
        await newest.WaitForAsync(new() { Timeout = 60_000 });
        if (i >= 0)
        {
            fromList.Add(clicked);
            onLoad.Add(clock.Elapsed.TotalMilliseconds);
        }
        int rows = await carol.Locator("li.message").CountAsync();
        if (rows > 200)
        {
            throw new InvalidOperationException($"The page holds {rows} messages: the list is not virtualized.");
        }
    }
    Report($"{history}-message chat shown, clicked in the chat list", fromList);
    Report($"{history}-message chat shown, opened by its address (page load)", onLoad);
}
finally
{
    foreach (var process in processes)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
    Directory.Delete(root, recursive: true);
}

static void Report(string what, List<double> samples)
{
    samples.Sort();
    double Percentile(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p * samples.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what}: median {Percentile(0.5):F0} ms, p95 {Percentile(0.95):F0} ms, min {samples[0]:F0} ms, max {samples[^1]:F0} ms"));
}

Process Start(IEnumerable<string> arguments, bool production = false)
{
    var info = new ProcessStartInfo("dotnet")
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "parley.dll"));
    foreach (string argument in arguments)
    {
        info.ArgumentList.Add(argument);
    }
    info.Environment["PARLEY_PASSPHRASE"] = Passphrase;
    info.Environment["PARLEY_INSECURE_FAST_KDF"] = "1";
    info.Environment["NO_COLOR"] = "1";
    if (production)
    {
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
    }
    var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
    processes.Add(process);
    return process;
}

async Task RunAsync(string[] arguments)
{
    var process = Start(arguments);
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"parley {string.Join(' ', arguments)}: {await output}{await error}");
    }
}

async Task<Uri> StartWebAsync(string home)
{
    var process = Start(["web", "--home", home, "--no-browser"]);
    var printed = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
    process.OutputDataReceived += (_, e) =>
    {
        if (e.Data is null)
        {
            printed.TrySetException(new InvalidOperationException("parley web exited."));
        }
        else if (e.Data.StartsWith("Parley web: ", StringComparison.Ordinal))
        {
            printed.TrySetResult(new Uri(e.Data["Parley web: ".Length..]));
        }
    };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return await printed.Task.WaitAsync(TimeSpan.FromSeconds(90));
}

static async Task<IPage> OpenAsync(IBrowser browser, Uri address)
{
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
    context.SetDefaultTimeout(60_000);
    var page = await context.NewPageAsync();
    await page.GotoAsync(address.ToString());
    await page.GetByRole(AriaRole.Navigation, new() { Name = "Chats" }).WaitForAsync();
    return page;
}
