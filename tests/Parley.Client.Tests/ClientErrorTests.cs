// The client library refuses with a code and a sentence that names no command of any front end: the CLI and the web
// app each add their own next step (docs/cli.md keeps the CLI's wording).
using System.Text.RegularExpressions;
using Xunit;

namespace Parley.Client.Tests;

public sealed partial class ClientErrorTests
{
    [Fact]
    public void Opening_a_home_without_an_account_is_refused_with_a_code_and_the_home()
    {
        string home = Path.Combine(Path.GetTempPath(), "parley-no-account-" + Guid.NewGuid().ToString("N"));

        var e = Assert.Throws<ParleyClientException>(() => ParleyClient.Open(home, "passphrase"));

        Assert.Equal(ClientError.NoAccount, e.Code);
        Assert.Equal(Path.GetFullPath(home), e.Subject);
        Assert.DoesNotContain("parley ", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(home));
    }

    [Fact]
    public void An_invalid_public_channel_name_is_refused_with_a_code_and_the_name()
    {
        var e = Assert.Throws<ParleyClientException>(() => ParleyClient.CheckPublicChannelName("no such!"));

        Assert.Equal(ClientError.PublicChannelNameInvalid, e.Code);
        Assert.Equal("no such!", e.Subject);
    }

    [Fact]
    public void No_message_of_the_client_library_names_a_cli_command_or_option()
    {
        string source = Path.Combine(RepositoryRoot(), "src", "Parley.Client");
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = lines[i].TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (Match literal in StringLiteral().Matches(code))
                {
                    if (CliReference().IsMatch(literal.Value))
                    {
                        offenders.Add($"{Path.GetRelativePath(source, file)}:{i + 1}: {literal.Value}");
                    }
                }
            }
        }
        Assert.True(offenders.Count == 0, string.Join('\n', offenders));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Parley.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("The repository root (Parley.slnx) was not found.");
    }

    [GeneratedRegex("\\$?\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    // A command (`parley history`) or an option (--home) of the CLI.
    [GeneratedRegex("`parley |(?<![\\w-])--[a-z]")]
    private static partial Regex CliReference();
}
