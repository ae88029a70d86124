using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Parley.Cli.Tests;

/// <summary>The opt-in Prometheus endpoint on Parley:MetricsUrl of a real server process: its counters move as people
/// talk, and the public address never serves it.</summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_move_after_a_message_and_only_the_metrics_address_serves_them()
    {
        using var temp = new TempDirectory();
        var metricsUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        await using var server = await ServerProcess.StartAsync(temp.Sub("server"), "--Parley:MetricsUrl", metricsUrl.ToString());
        using var http = new HttpClient();
        string[] common = ["--server", server.Address.ToString()];
        Assert.Equal(0, (await Cli.RunAsync(["--home", temp.Sub("alice"), .. common, "account", "create", "alice"], null)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync(["--home", temp.Sub("bob"), .. common, "account", "create", "bob"], null)).ExitCode);
        string before = await http.GetStringAsync(new Uri(metricsUrl, "/metrics"));

        var sent = await Cli.RunAsync(["--home", temp.Sub("alice"), .. common, "send", "bob", "counted, never read"], null);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var received = await Cli.RunAsync(["--home", temp.Sub("bob"), .. common, "receive"], null);
        Assert.Contains("counted, never read", received.Output);
        using (var missing = await http.GetAsync(new Uri(server.Address, "/v1/no-such-thing")))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        string after = await http.GetStringAsync(new Uri(metricsUrl, "/metrics"));

        Assert.True(Value(after, "parley_messages_accepted_total") > Value(before, "parley_messages_accepted_total"), after);
        Assert.True(Value(after, "parley_messages_delivered_total") > Value(before, "parley_messages_delivered_total"), after);
        Assert.True(Value(after, "parley_storage_commit_duration_seconds_count", "engine=\"sqlite\"")
            > Value(before, "parley_storage_commit_duration_seconds_count", "engine=\"sqlite\""), after);
        Assert.True(Value(after, "parley_requests_rejected_total", "code=\"not_found\"")
            > Value(before, "parley_requests_rejected_total", "code=\"not_found\""), after);
        Assert.Contains("parley_storage_write_queue_depth", after);
        Assert.Contains("kestrel_active_connections", after);
        Assert.DoesNotContain("alice", after);
        Assert.DoesNotContain("bob", after);

        // The public address answers /metrics as the unknown path it is there, and the metrics address serves nothing else.
        using var publicMetrics = await http.GetAsync(new Uri(server.Address, "/metrics"));
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
        Assert.DoesNotContain("parley_", await publicMetrics.Content.ReadAsStringAsync());
        using var forgedHost = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, "/metrics"));
        forgedHost.Headers.Host = $"127.0.0.1:{metricsUrl.Port}";
        using var forged = await http.SendAsync(forgedHost);
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        using var apiOnMetrics = await http.GetAsync(new Uri(metricsUrl, "/v1/health"));
        Assert.Equal(HttpStatusCode.NotFound, apiOnMetrics.StatusCode);
    }

    [Fact]
    public async Task A_metrics_address_without_a_fixed_port_is_one_line_and_a_failure()
    {
        using var temp = new TempDirectory();

        var result = await Cli.RunAsync("serve", "--data", temp.Sub("server"), "--urls", "http://127.0.0.1:0",
            "--Parley:MetricsUrl", "http://127.0.0.1:0");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("parley: Parley:MetricsUrl http://127.0.0.1:0 needs a fixed port (requests are told apart by it); give one like http://127.0.0.1:9464.",
            result.Error.Trim());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels contain <paramref name="label"/>; 0 if none.</summary>
    private static double Value(string scrape, string name, string label = "")
        => Sample().Matches(scrape)
            .Where(m => m.Groups["name"].Value == name && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
