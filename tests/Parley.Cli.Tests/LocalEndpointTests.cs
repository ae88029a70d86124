using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Parley.Client.Local;

namespace Parley.Cli.Tests;

/// <summary>`parley listen` holds a home's store; other commands on the same home run through its local endpoint
/// (HOME/parley.sock) with the same output and exit code (docs/local-endpoint.md).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Home(string name) => Path.Combine(fixture.Root, "local-" + name);

    private Task<CliResult> Run(string home, params string[] args)
        => Cli.RunAsync(["--home", Home(home), "--server", fixture.Server.Address.ToString(), .. args], null);

    private static string Unique(string name) => name + Guid.NewGuid().ToString("N")[..6];

    private static void Succeeded(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    private async Task<RunningCli> ListenAsync(string home)
    {
        var listen = RunningCli.Start(["--home", Home(home), "--server", fixture.Server.Address.ToString(), "listen"]);
        await listen.WaitForAsync("(connected)", error: true);
        return listen;
    }

    // Two accounts on the command line, and a first message from the first to the second.
    private async Task<(string Alice, string Bob)> TwoAccountsAsync(string? first)
    {
        string alice = Unique("alice"), bob = Unique("bob");
        Succeeded(await Run(alice, "account", "create", alice));
        Succeeded(await Run(bob, "account", "create", bob));
        if (first is not null)
        {
            Succeeded(await Run(alice, "send", bob, first));
        }
        return (alice, bob);
    }

    [Fact]
    public async Task While_listen_runs_send_history_and_receive_from_other_processes_work_and_receive_does_not_repeat_what_listen_showed()
    {
        var (alice, bob) = await TwoAccountsAsync("before listening");
        Succeeded(await Run(bob, "receive"));

        await using var listen = await ListenAsync(alice);
        // The socket is the owner's alone, in a home only the owner can enter.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Home(alice), "parley.sock")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Home(alice)));

        var sent = await Run(alice, "send", bob, "sent while listen runs");
        Succeeded(sent);
        Assert.Matches($"^Sent [A-Za-z0-9_-]+ to {bob}\\.\n$", sent.Output);
        var bobReceived = await Run(bob, "receive");
        Assert.Contains($"{alice}: sent while listen runs", bobReceived.Output);

        Succeeded(await Run(bob, "send", alice, "shown by listen"));
        await listen.WaitForAsync("shown by listen");
        var received = await Run(alice, "receive");
        Succeeded(received);
        Assert.DoesNotContain("shown by listen", received.Output);
        Assert.Contains("No new messages.", received.Error);

        var history = await Run(alice, "history", bob);
        Succeeded(history);
        Assert.Equal(["before listening", "sent while listen runs", "shown by listen"],
            history.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(" ✓")[0]));

        // The same failure, sentence and exit code as when run alone.
        var unknown = await Run(alice, "history", "nobody-here");
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("parley: ", unknown.Error);
        Assert.Equal("", unknown.Output);

        // A second listener is refused as before, and the first keeps its connection.
        var second = await Run(alice, "listen");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("is using this home", second.Error);

        Succeeded(await Run(bob, "send", alice, "shown by listen too"));
        await listen.WaitForAsync("shown by listen too");
        Assert.Equal(0, await listen.StopAsync());
        Assert.False(File.Exists(Path.Combine(Home(alice), "parley.sock")));

        // Run alone again: what listen showed is not shown again, and what it did not see is.
        Succeeded(await Run(bob, "send", alice, "after listen stopped"));
        var alone = await Run(alice, "receive");
        Succeeded(alone);
        Assert.Contains("after listen stopped", alone.Output);
        Assert.DoesNotContain("shown by listen", alone.Output);
    }

    [Fact]
    public async Task A_listening_admin_is_shown_a_join_request_and_approves_it_from_another_terminal()
    {
        var (alice, bob) = await TwoAccountsAsync(null);
        string name = "club-" + alice[^6..];
        Succeeded(await Run(alice, "channel", "create", name));
        Succeeded(await Run(alice, "channel", "post", name, "before you came"));
        string link = JsonDocument.Parse((await Run(alice, "channel", "invite", name, "--approval", "--json")).Output).RootElement
            .GetProperty("link").GetString()!;
        await using var listen = await ListenAsync(alice);
        Succeeded(await Run(bob, "channel", "join", link));

        // listen's housekeeping (every 15 s) finds the request and says how to approve it.
        string line = await listen.WaitForAsync($"Someone asked to join {name}", timeout: TimeSpan.FromSeconds(45));
        string approve = System.Text.RegularExpressions.Regex.Match(line, "`parley (channel approve [^`]+)`").Groups[1].Value;
        var approved = await Run(alice, approve.Split(' '));
        Succeeded(approved);
        Assert.StartsWith("Approved ", approved.Output);

        Assert.Contains($"{alice} shared 1 recent post", (await Run(bob, "receive")).Output);
        Assert.Contains($"{alice}: before you came", (await Run(bob, "channel", "read", name)).Output);
        Assert.Equal(0, await listen.StopAsync());
    }

    [Fact]
    public async Task A_listening_device_tells_when_a_device_is_linked_to_its_account()
    {
        var (alice, _) = await TwoAccountsAsync("before the tablet");
        await using var listen = await ListenAsync(alice);

        // The tablet shows its link code and waits for the approval code, which the listening device gives.
        var info = Cli.StartInfo(["--home", Home(alice + "-tablet"), "device", "link"]);
        using var link = System.Diagnostics.Process.Start(info)!;
        string code = (await link.StandardOutput.ReadLineAsync())!;
        var approved = await Run(alice, "device", "approve", code);
        Succeeded(approved);
        await link.StandardInput.WriteLineAsync(approved.Output.Trim());
        link.StandardInput.Close();
        await link.WaitForExitAsync();
        Assert.Equal(0, link.ExitCode);
        var devices = Cli.Json(await Run(alice, "device", "list", "--json")).EnumerateArray().ToList();
        string tablet = devices.Single(d => !d.GetProperty("current").GetBoolean()).GetProperty("deviceId").GetString()!;

        // The listener looks at the account's devices on its housekeeping tick (every 15 seconds).
        string told = await listen.WaitForAsync("linked to your account", timeout: TimeSpan.FromSeconds(90));
        Assert.Contains(tablet, told);
    }

    [Fact]
    public async Task Malformed_or_refused_requests_get_an_error_and_change_nothing()
    {
        var (alice, bob) = await TwoAccountsAsync("one");
        await using var listen = await ListenAsync(alice);
        var before = await Run(alice, "history", bob);
        Succeeded(before);
        string socket = Path.Combine(Home(alice), "parley.sock");

        foreach (string line in new[]
                 {
                     "not json",
                     "{\"v\":2,\"args\":[\"send\",\"" + bob + "\",\"x\"],\"cwd\":\"/\"}",
                     "{\"v\":1,\"args\":[\"send\",\"" + bob + "\",\"x\"],\"cwd\":\"relative\"}",
                     "{\"v\":1,\"args\":[\"send\",\"" + bob + "\",\"x\"],\"args\":[\"history\"],\"cwd\":\"/\"}",
                     "{\"v\":1,\"args\":[\"send\",\"" + bob + "\",\"x\"],\"cwd\":\"/\",\"extra\":true}",
                     "{\"v\":1,\"args\":[],\"cwd\":\"/\"}",
                     "[1,2,3]",
                 })
        {
            var answer = await SendRawAsync(socket, line);
            Assert.Equal(1, answer.ExitCode);
            Assert.Equal("bad_request", answer.Problem);
            Assert.StartsWith("parley: ", answer.Error);
        }

        // Well-formed, but not a command for an open device: not run.
        var create = await SendRawAsync(socket, JsonSerializer.Serialize(new { v = 1, args = new[] { "account", "create", Unique("mallory") }, cwd = "/" }));
        Assert.Equal(1, create.ExitCode);
        Assert.Equal("not_forwardable", create.Problem);
        // Well-formed, but the command line is wrong: the usual parse error, nothing sent.
        var incomplete = await SendRawAsync(socket, JsonSerializer.Serialize(new { v = 1, args = new[] { "send", bob }, cwd = "/" }));
        Assert.Equal(1, incomplete.ExitCode);
        Assert.Null(incomplete.Problem);

        Assert.Equal(before.Output, (await Run(alice, "history", bob)).Output);
        var bobReceived = await Run(bob, "receive");
        Assert.Contains($"{alice}: one", bobReceived.Output);
        Assert.DoesNotContain(": x", bobReceived.Output);
        Assert.Equal(0, await listen.StopAsync());
    }

    private static async Task<LocalResponse> SendRawAsync(string path, string line)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
        using var reader = new StreamReader(stream);
        string answer = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("No answer.");
        return LocalProtocol.DecodeResponse(Encoding.UTF8.GetBytes(answer));
    }
}
