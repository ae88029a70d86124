using System.CommandLine;
using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Sync;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley chat NAME|GROUP</c>: an interactive conversation in the terminal.</summary>
internal static class ChatCommand
{
    public static Command Build()
    {
        var target = new Argument<string>("NAME") { Description = "A user name or a group's name or id." };
        var command = new Command("chat", "Chat interactively: type a line to send it; /reply, /react, /edit, /delete, /file, /help and /quit work on the way.") { target };
        command.SetAction(CliSession.Serving(async (parse, client, cancellationToken) =>
        {
            var conversation = await MessageCommands.ResolveAsync(client, parse.GetValue(target)!, cancellationToken);
            await client.SyncAsync(cancellationToken);
            foreach (var message in client.History(conversation.Id, 20))
            {
                Write(client, message);
            }
            await client.MarkReadAsync(conversation.Id, cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Chatting in {Markup.Escape(conversation.DisplayName)} as {Markup.Escape(client.Username)}. /help lists the commands, /quit leaves.[/]");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var events = client.Subscribe();
            var listening = client.ListenAsync(stop.Token);
            // Events are raised while the client works; handle them on this task (marking read needs the client).
            var printing = Task.Run(async () =>
            {
                await foreach (var e in events.ReadAllAsync(stop.Token))
                {
                    if (e is MessageReceived received && received.Conversation.Id == conversation.Id)
                    {
                        Write(client, received.Message);
                        await client.MarkReadAsync(conversation.Id, stop.Token);
                    }
                    else if (e is MessageReceived other)
                    {
                        AnsiConsole.MarkupLine($"[grey](new message in {Markup.Escape(other.Conversation.DisplayName)})[/]");
                    }
                    else if (e is MessageUpdated { Change: "edited" or "deleted" or "reaction" or "reaction removed" } updated
                             && updated.Conversation.Id == conversation.Id)
                    {
                        Write(client, updated.Message);
                    }
                    else if (e is not MessageUpdated && !CliOutput.IsOwnAction(e))
                    {
                        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(CliOutput.Describe(e))}[/]");
                    }
                }
            }, stop.Token);

            try
            {
                while (!stop.IsCancellationRequested)
                {
                    string? line = await Console.In.ReadLineAsync(stop.Token);
                    if (line is null)
                    {
                        break;
                    }
                    try
                    {
                        if (!await HandleAsync(client, conversation, line, stop.Token))
                        {
                            break;
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        AnsiConsole.MarkupLine($"[red]{Markup.Escape(CliErrors.Describe(e).Message)}[/]");
                    }
                }
            }
            finally
            {
                await stop.CancelAsync();
                events.Dispose();
                try
                {
                    await listening;
                    await printing;
                }
                catch (OperationCanceledException)
                {
                    // Leaving.
                }
            }
            return 0;
        }));
        return command;
    }

    /// <summary>What <c>/help</c> prints.</summary>
    public const string Help = """
        Type a line to send it. Message ids are the grey letters before each message; a few of their first letters do.
          /reply ID TEXT            reply to a message
          /react ID EMOJI           react to a message (/react ID EMOJI --remove takes it back)
          /edit ID TEXT             replace the text of one of your messages, for everyone
          /delete ID [--for-me]     delete one of your messages for everyone, or any message from this device
          /file PATH                send a file
          /help                     show this list
          /quit                     leave (Ctrl+D too)
          //TEXT                    send a line that starts with a slash
        """;

    // One typed line: a message, or a slash command. False when the person leaves.
    private static async Task<bool> HandleAsync(ParleyClient client, Conversation conversation, string line, CancellationToken cancellationToken)
    {
        string trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return true;
        }
        if (!trimmed.StartsWith('/') || trimmed.StartsWith("//", StringComparison.Ordinal))
        {
            var sent = await client.SendTextAsync(conversation.Id, trimmed.StartsWith("//", StringComparison.Ordinal) ? line.TrimStart()[1..] : line, cancellationToken);
            Sent(client, sent);
            return true;
        }
        string[] words = trimmed.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string rest = words.Length > 1 ? words[1] : "";
        switch (words[0])
        {
            case "/quit" or "/exit":
                return false;
            case "/help":
                AnsiConsole.WriteLine(Help);
                return true;
            case "/file":
                Sent(client, await client.SendFileAsync(conversation.Id, Required(rest, "/file PATH"), "", null, null, cancellationToken));
                return true;
            case "/reply":
            {
                var (id, text) = IdAndText(rest, "/reply ID TEXT");
                Sent(client, await client.ReplyAsync(conversation.Id, id, text, cancellationToken));
                return true;
            }
            case "/react":
            {
                bool remove = TakeFlag(ref rest, "--remove");
                var (id, emoji) = IdAndText(rest, "/react ID EMOJI");
                var target = client.ResolveMessage(conversation.Id, id);
                await client.ReactAsync(conversation.Id, target.MessageId, emoji, remove, cancellationToken);
                Note(remove ? $"took back {emoji} on {Short(target.MessageId)}" : $"reacted {emoji} to {Short(target.MessageId)}");
                return true;
            }
            case "/edit":
            {
                var (id, text) = IdAndText(rest, "/edit ID TEXT");
                var target = client.ResolveMessage(conversation.Id, id);
                await client.EditAsync(conversation.Id, target.MessageId, text, cancellationToken);
                Note($"edited {Short(target.MessageId)}");
                return true;
            }
            case "/delete":
            {
                bool forMe = TakeFlag(ref rest, "--for-me");
                var target = client.ResolveMessage(conversation.Id, Required(rest, "/delete ID [--for-me]"));
                if (forMe)
                {
                    await client.DeleteForMeAsync(conversation.Id, target.MessageId, cancellationToken);
                    Note($"deleted {Short(target.MessageId)} from this device");
                }
                else
                {
                    await client.DeleteForEveryoneAsync(conversation.Id, target.MessageId, cancellationToken);
                    Note($"deleted {Short(target.MessageId)} for everyone");
                }
                return true;
            }
            default:
                throw new ParleyClientException($"There is no chat command {words[0]}; /help lists them (start with // to send a line beginning with a slash).");
        }
    }

    private static string Required(string value, string usage)
        => value.Length > 0 ? value : throw new ParleyClientException($"Usage: {usage}");

    private static (string Id, string Text) IdAndText(string rest, string usage)
    {
        string[] parts = rest.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2 ? (parts[0], parts[1]) : throw new ParleyClientException($"Usage: {usage}");
    }

    private static bool TakeFlag(ref string rest, string flag)
    {
        var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        bool found = words.Remove(flag);
        rest = string.Join(' ', words);
        return found;
    }

    private static void Sent(ParleyClient client, StoredMessage sent)
    {
        Write(client, sent);
        if (sent.State.Status == DeliveryStatus.Pending)
        {
            AnsiConsole.MarkupLine("[yellow](queued: the server is unreachable)[/]");
        }
    }

    private static void Note(string text) => AnsiConsole.MarkupLine($"[grey]({Markup.Escape(text)})[/]");

    /// <summary>The few first letters of a message id that chat shows (and takes back, see <see cref="ParleyClient.ResolveMessage"/>).</summary>
    private static string Short(string messageId) => messageId.Length <= 6 ? messageId : messageId[..6];

    private static void Write(ParleyClient client, StoredMessage message)
    {
        string line = CliOutput.Line(CliOutput.View(client, message), showConversation: false);
        string id = $"[grey]{Markup.Escape(Short(message.MessageId))}[/] ";
        AnsiConsole.MarkupLine(id + (message.IsOutgoing ? $"[blue]{Markup.Escape(line)}[/]" : Markup.Escape(line)));
    }
}
