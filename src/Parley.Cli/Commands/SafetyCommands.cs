using System.CommandLine;
using System.Text.Json.Serialization;
using Parley.Client;

namespace Parley.Cli.Commands;

/// <summary>The result of <c>parley report</c>.</summary>
internal sealed record ReportView(string ReportId, bool Verified, string? Sender, string Conversation, string MessageId, string Reason);

/// <summary>The result of <c>parley block</c>, <c>unblock</c> and <c>blocks</c>.</summary>
internal sealed record BlocksView(IReadOnlyList<string> Blocked);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ReportView))]
[JsonSerializable(typeof(BlocksView))]
internal sealed partial class SafetyCliJsonContext : JsonSerializerContext;

/// <summary><c>parley report</c>, <c>block</c>, <c>unblock</c> and <c>blocks</c> (docs/safety.md).</summary>
internal static class SafetyCommands
{
    /// <summary>The commands, to add to the root.</summary>
    public static IEnumerable<Command> Build() => [Report(), Block(), Unblock(), Blocks()];

    private static Option<bool> Json() => CliOutput.JsonOption();

    private static Command Report()
    {
        var conversation = new Argument<string>("CONVERSATION") { Description = "The chat (a user name) or group the message is in." };
        var messageId = new Argument<string>("MESSAGE_ID") { Description = "The message's id (see `parley history NAME --ids`)." };
        var reason = new Option<string>("--reason")
        {
            Description = "Why: spam, harassment, illegal or other.",
            Required = true,
        };
        reason.AcceptOnlyFromAmong("spam", "harassment", "illegal", "other");
        var comment = new Option<string?>("--comment") { Description = $"What the operator should know (up to {ParleyClient.MaxReportComment} characters)." };
        var json = Json();
        var command = new Command("report",
            "Report a message you received to the server's operator: it reveals that message (and its file) to the operator, and nothing else.")
        {
            conversation, messageId, reason, comment, json,
        };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var found = client.GetConversation(parse.GetValue(conversation)!);
            string id = parse.GetValue(messageId)!;
            var why = Enum.Parse<ReportReason>(parse.GetValue(reason)!, ignoreCase: true);
            bool asJson = parse.GetValue(json);
            var receipt = await CliOutput.WithProgressAsync(CliOutput.Interactive(asJson), "evidence",
                progress => client.ReportAsync(found.Id, id, why, parse.GetValue(comment), progress, cancellationToken));
            if (asJson)
            {
                CliOutput.WriteJson(new ReportView(receipt.ReportId, receipt.Verified, receipt.Sender, found.DisplayName, id, why.ToString().ToLowerInvariant()),
                    SafetyCliJsonContext.Default.ReportView);
            }
            else
            {
                Console.WriteLine($"Reported message {id} from {receipt.Sender ?? "a deleted account"} to the server's operator (report {receipt.ReportId}).");
            }
            return 0;
        }));
        return command;
    }

    private static Command Block()
    {
        var user = new Argument<string>("USER") { Description = "The account to block." };
        var json = Json();
        var command = new Command("block",
            "Block an account: the server stops delivering its 1:1 messages and invitations to you (it is not told), and its messages are hidden everywhere.")
        {
            user, json,
        };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string name = parse.GetValue(user)!;
            await client.BlockAsync(name, cancellationToken);
            return Print(parse.GetValue(json), client, $"Blocked {name.Trim().ToLowerInvariant()}. Undo with `parley unblock {name.Trim().ToLowerInvariant()}`.");
        }));
        return command;
    }

    private static Command Unblock()
    {
        var user = new Argument<string>("USER") { Description = "The account to unblock." };
        var json = Json();
        var command = new Command("unblock", "Unblock an account: its new messages reach you again.") { user, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            string name = parse.GetValue(user)!;
            await client.UnblockAsync(name, cancellationToken);
            return Print(parse.GetValue(json), client, $"Unblocked {name.Trim().ToLowerInvariant()}.");
        }));
        return command;
    }

    private static Command Blocks()
    {
        var json = Json();
        var command = new Command("blocks", "List the accounts you block.") { json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var blocked = await client.BlocksAsync(cancellationToken);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(new BlocksView(blocked), SafetyCliJsonContext.Default.BlocksView);
            }
            else if (blocked.Count == 0)
            {
                Console.Error.WriteLine("You block no one.");
            }
            else
            {
                foreach (string name in blocked)
                {
                    Console.WriteLine(name);
                }
            }
            return 0;
        }));
        return command;
    }

    private static int Print(bool json, ParleyClient client, string sentence)
    {
        if (json)
        {
            CliOutput.WriteJson(new BlocksView(client.Store.BlockedUsernames), SafetyCliJsonContext.Default.BlocksView);
        }
        else
        {
            Console.WriteLine(sentence);
        }
        return 0;
    }
}
