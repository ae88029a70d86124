using System.Net;
using System.Net.Sockets;

namespace Parley.Cli.Tests;

/// <summary><c>parley serve</c> that cannot start says why in one line, what to do about it, and exits non-zero.</summary>
public sealed class ServeStartupTests
{
    [Fact]
    public async Task A_data_folder_that_is_a_file_is_one_line_and_a_failure()
    {
        using var temp = new TempDirectory();
        string file = temp.Sub("not-a-folder");
        await File.WriteAllTextAsync(file, "x");

        var result = await Cli.RunAsync("serve", "--data", file, "--urls", "http://127.0.0.1:0");

        AssertOneLine(result, $"The data folder {file} is a file, not a folder; give --data a folder");
        Assert.Equal("x", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_and_a_failure()
    {
        using var temp = new TempDirectory();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var result = await Cli.RunAsync("serve", "--data", temp.Sub("server"), "--urls", $"http://127.0.0.1:{port}");

        AssertOneLine(result, $"Port {port} on 127.0.0.1 (--urls http://127.0.0.1:{port}) is in use by another process; stop that process or choose another port.");
    }

    [Fact]
    public async Task A_missing_tls_certificate_is_one_line_and_a_failure()
    {
        using var temp = new TempDirectory();

        var result = await Cli.RunAsync("serve", "--data", temp.Sub("server"), "--urls", "https://127.0.0.1:0",
            "--Kestrel:Certificates:Default:Path", temp.Sub("missing.pfx"));

        AssertOneLine(result, $"The TLS certificate file {temp.Sub("missing.pfx")} (Kestrel:Certificates:Default) does not exist");
    }

    [Fact]
    public async Task A_fresh_data_folder_is_created_for_the_servers_user_alone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        using var temp = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(temp.Sub("server"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(temp.Sub("server")));
        Assert.DoesNotContain("readable by other users", server.Output);
    }

    private static void AssertOneLine(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("", result.Output);
        string line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("parley: " + expected, line);
    }
}
