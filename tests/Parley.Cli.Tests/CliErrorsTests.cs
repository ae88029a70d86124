using System.Text.RegularExpressions;
using Parley.Client;

namespace Parley.Cli.Tests;

/// <summary>The client library refuses with a code and a sentence that names no command; the CLI turns each code into
/// its own sentence with the next step, and that step is a command the CLI has.</summary>
public sealed partial class CliErrorsTests
{
    private static readonly HashSet<string> Paths =
        [.. CommandCatalog.Leaves(ParleyCommand.Build()).Select(CommandCatalog.PathOf)];

    public static TheoryData<ClientError> Codes => [.. Enum.GetValues<ClientError>().Where(c => c != ClientError.Unspecified)];

    [Theory]
    [MemberData(nameof(Codes))]
    public void Each_refusal_code_gets_a_sentence_whose_commands_exist(ClientError code)
    {
        var refusal = new ParleyClientException(code, "news", "The library's sentence.", detail: "abc123");

        string sentence = CliErrors.Sentence(refusal);

        foreach (Match command in Command().Matches(sentence))
        {
            string words = command.Groups[1].Value;
            Assert.True(Paths.Any(p => words == p || words.StartsWith(p + " ", StringComparison.Ordinal)),
                $"{code}: `parley {words}` is not a command of the CLI ({sentence})");
        }
        Assert.Equal(sentence, CliErrors.Describe(refusal).Message);
        Assert.Equal("refused", CliErrors.Describe(refusal).Code);
    }

    [Fact]
    public void The_cli_names_the_next_step_the_library_leaves_out()
    {
        Assert.Equal("You are an admin of news; another admin can remove you with `parley channel admins remove news alice`.",
            CliErrors.Sentence(new ParleyClientException(ClientError.AdminLeaves, "news", "You are an admin of news.", detail: "alice")));
        Assert.Equal("There is no message 1a2b in this conversation; see `parley history NAME --ids`.",
            CliErrors.Sentence(new ParleyClientException(ClientError.MessageNotFound, null, "There is no message 1a2b.", detail: "1a2b")));
        Assert.Equal("Several devices start with ab; give more of the id.",
            CliErrors.Sentence(new ParleyClientException("Several devices start with ab; give more of the id.")));
    }

    [GeneratedRegex("`parley ([a-z][a-z -]*?)(?: [A-Z{<.]| --|`)")]
    private static partial Regex Command();
}
