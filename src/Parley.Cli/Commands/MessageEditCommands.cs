using System.CommandLine;
using Parley.Client;

namespace Parley.Cli.Commands;

/// <summary><c>parley react</c>, <c>edit</c> and <c>delete</c>: change a chat message after it was sent. Arguments come in
/// the order <c>parley report</c> takes them: the conversation, then the message id (or its first characters).</summary>
internal static class MessageEditCommands
{
    /// <summary>The commands, to add to the root.</summary>
    public static IEnumerable<Command> Build() => [React(), Edit(), Delete()];

    private static Argument<string> Conversation() => new("CONVERSATION") { Description = "The chat (a user name) or group the message is in." };

    private static Argument<string> MessageId() => new("MESSAGE_ID")
    {
        Description = $"The message's id, or its first {ParleyClient.MinMessageIdPrefix} or more characters (see `parley history NAME --ids`).",
    };

    private static Command React()
    {
        var conversation = Conversation();
        var messageId = MessageId();
        var emoji = new Argument<string>("EMOJI") { Description = "The reaction, e.g. 👍." };
        var remove = new Option<bool>("--remove") { Description = "Take back your reaction instead." };
        var json = CliOutput.JsonOption();
        var command = new Command("react", "React to a message with an emoji (or take the reaction back), for everyone in the conversation.")
        {
            conversation, messageId, emoji, remove, json,
        };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var found = client.GetConversation(parse.GetValue(conversation)!);
            var target = client.ResolveMessage(found.Id, parse.GetValue(messageId)!);
            string reaction = parse.GetValue(emoji)!;
            bool removing = parse.GetValue(remove);
            await client.ReactAsync(found.Id, target.MessageId, reaction, removing, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView(removing ? "unreacted" : "reacted", found.DisplayName, target.MessageId, reaction),
                removing ? $"Took back {reaction} on {target.MessageId} in {found.DisplayName}." : $"Reacted {reaction} to {target.MessageId} in {found.DisplayName}.");
        }));
        return command;
    }

    private static Command Edit()
    {
        var conversation = Conversation();
        var messageId = MessageId();
        var text = new Argument<string>("TEXT") { Description = "The new text." };
        var json = CliOutput.JsonOption();
        var command = new Command("edit", "Replace the text of one of your messages, for everyone in the conversation.") { conversation, messageId, text, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var found = client.GetConversation(parse.GetValue(conversation)!);
            var target = client.ResolveMessage(found.Id, parse.GetValue(messageId)!);
            await client.EditAsync(found.Id, target.MessageId, parse.GetValue(text)!, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("edited", found.DisplayName, target.MessageId, null),
                $"Edited {target.MessageId} in {found.DisplayName}.");
        }));
        return command;
    }

    private static Command Delete()
    {
        var conversation = Conversation();
        var messageId = MessageId();
        var forMe = new Option<bool>("--for-me") { Description = "Delete it from this device only (any message); others keep their copies." };
        var json = CliOutput.JsonOption();
        var command = new Command("delete", "Delete one of your messages for everyone in the conversation, or with --for-me any message from this device.")
        {
            conversation, messageId, forMe, json,
        };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var found = client.GetConversation(parse.GetValue(conversation)!);
            var target = client.ResolveMessage(found.Id, parse.GetValue(messageId)!);
            if (parse.GetValue(forMe))
            {
                await client.DeleteForMeAsync(found.Id, target.MessageId, cancellationToken);
                return CliOutput.Done(parse.GetValue(json), new DoneView("deleted-here", found.DisplayName, target.MessageId, null),
                    $"Deleted {target.MessageId} from this device; the others in {found.DisplayName} keep it.");
            }
            await client.DeleteForEveryoneAsync(found.Id, target.MessageId, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("deleted", found.DisplayName, target.MessageId, null),
                $"Deleted {target.MessageId} for everyone in {found.DisplayName}.");
        }));
        return command;
    }
}
