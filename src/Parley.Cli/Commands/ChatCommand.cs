using System.CommandLine;
using System.Threading.Channels;
using Parley.Client;
using Parley.Client.Sync;
using Spectre.Console;

namespace Parley.Cli.Commands;

/// <summary><c>parley chat NAME|GROUP</c>: an interactive conversation in the terminal.</summary>
internal static class ChatCommand
{
    public static Command Build()
    {
        var target = new Argument<string>("NAME") { Description = "A user name or a group's name or id." };
        var command = new Command("chat", "Chat interactively: type a line to send it; /file PATH sends a file, /quit leaves.") { target };
        command.SetAction(CliSession.Serving(async (parse, client, cancellationToken) =>
        {
            var conversation = await MessageCommands.ResolveAsync(client, parse.GetValue(target)!, cancellationToken);
            await client.SyncAsync(cancellationToken);
            foreach (var message in client.History(conversation.Id, 20))
            {
                Write(CliOutput.Line(CliOutput.View(client, message), showConversation: false), message.IsOutgoing);
            }
            await client.MarkReadAsync(conversation.Id, cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Chatting in {Markup.Escape(conversation.DisplayName)} as {Markup.Escape(client.Username)}. /quit to leave.[/]");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var events = Channel.CreateUnbounded<ClientEvent>();
            client.EventRaised += e => events.Writer.TryWrite(e);
            var listening = client.ListenAsync(stop.Token);
            // Events are raised while the client works; handle them on this task (marking read needs the client).
            var printing = Task.Run(async () =>
            {
                await foreach (var e in events.Reader.ReadAllAsync(stop.Token))
                {
                    if (e is MessageReceived received && received.Conversation.Id == conversation.Id)
                    {
                        Write(CliOutput.Line(CliOutput.View(client, received.Message), showConversation: false), received.Message.IsOutgoing);
                        await client.MarkReadAsync(conversation.Id, stop.Token);
                    }
                    else if (e is MessageReceived other)
                    {
                        AnsiConsole.MarkupLine($"[grey](new message in {Markup.Escape(other.Conversation.DisplayName)})[/]");
                    }
                    else if (e is not MessageUpdated)
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
                    if (line is null || line.Trim() == "/quit")
                    {
                        break;
                    }
                    if (line.Trim().Length == 0)
                    {
                        continue;
                    }
                    try
                    {
                        if (line.StartsWith("/file ", StringComparison.Ordinal))
                        {
                            var sent = await client.SendFileAsync(conversation.Id, line[6..].Trim(), "", null, null, stop.Token);
                            Write(CliOutput.Line(CliOutput.View(client, sent), showConversation: false), true);
                        }
                        else
                        {
                            var sent = await client.SendTextAsync(conversation.Id, line, stop.Token);
                            if (sent.State.Status != Parley.Client.Messages.DeliveryStatus.Sent)
                            {
                                AnsiConsole.MarkupLine("[yellow](queued: the server is unreachable)[/]");
                            }
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
                events.Writer.TryComplete();
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

    private static void Write(string line, bool outgoing)
        => AnsiConsole.MarkupLine(outgoing ? $"[blue]{Markup.Escape(line)}[/]" : Markup.Escape(line));
}
