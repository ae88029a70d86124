using Parley.Content;
using System.CommandLine;
using Parley.Client;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Sync;

namespace Parley.Cli.Commands;

/// <summary><c>parley send</c>, <c>send-file</c>, <c>download</c>, <c>receive</c>, <c>listen</c>, <c>history</c>, <c>search</c>, <c>disappear</c>.</summary>
internal static class MessageCommands
{
    private static Argument<string> Target() => new("NAME") { Description = "A user name (your 1:1 chat) or a group's name or id." };

    private static Option<bool> Json() => CliOutput.JsonOption();

    private static Option<bool> Ids() => new("--ids") { Description = "Show each message's id (to reply to, react to or report it)." };

    /// <summary>The conversation a name means; a user name without a chat yet opens a new 1:1 chat.</summary>
    public static async Task<Conversation> ResolveAsync(ParleyClient client, string name, CancellationToken cancellationToken)
    {
        var found = client.FindConversation(name);
        if (found is not null)
        {
            return found;
        }
        if (name.Length >= 3 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            return await client.OpenDirectAsync(name, cancellationToken);
        }
        throw new ParleyClientException($"No conversation is named {name}; see `parley group list`.");
    }

    public static Command Send()
    {
        var target = Target();
        var text = new Argument<string>("TEXT") { Description = "The message." };
        var replyTo = new Option<string?>("--reply-to") { Description = "Reply to the message with this id." };
        var json = Json();
        var command = new Command("send", "Send a message to a person or a group.") { target, text, replyTo, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = await ResolveAsync(client, parse.GetValue(target)!, cancellationToken);
            var message = parse.GetValue(replyTo) is { } id
                ? await client.ReplyAsync(conversation.Id, id, parse.GetValue(text)!, cancellationToken)
                : await client.SendTextAsync(conversation.Id, parse.GetValue(text)!, cancellationToken);
            return Report(client, message, parse.GetValue(json));
        }));
        return command;
    }

    public static Command SendFile()
    {
        var target = Target();
        var path = new Argument<string>("PATH") { Description = "The file to send." };
        var caption = new Option<string?>("--caption") { Description = "Text to send with the file." };
        var json = Json();
        var command = new Command("send-file", "Encrypt, upload and send a file.") { target, path, caption, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = await ResolveAsync(client, parse.GetValue(target)!, cancellationToken);
            string file = CliSession.FullPath(parse.GetValue(path)!);
            var message = await CliOutput.WithProgressAsync(CliOutput.Interactive(parse.GetValue(json)), Path.GetFileName(file),
                progress => client.SendFileAsync(conversation.Id, file, parse.GetValue(caption) ?? "", null, progress, cancellationToken));
            return Report(client, message, parse.GetValue(json));
        }));
        return command;
    }

    public static Command Download()
    {
        var target = Target();
        var id = new Argument<string>("MESSAGE_ID") { Description = "The file message's id, or its first 4 or more characters (see `parley history NAME --ids`)." };
        var output = new Option<string?>("--out") { Description = "The folder to save the file in (default: the current folder)." };
        var json = CliOutput.JsonOption();
        var command = new Command("download", "Download a file received earlier, while the server still holds it.") { target, id, output, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = client.GetConversation(parse.GetValue(target)!);
            var message = client.ResolveMessage(conversation.Id, parse.GetValue(id)!);
            string directory = CliSession.FullPath(parse.GetValue(output) ?? ".");
            string description = message.Content is AttachmentContent file ? file.Attachment.FileName : message.MessageId;
            string saved = await CliOutput.WithProgressAsync(CliOutput.Interactive(parse.GetValue(json)), description,
                progress => client.DownloadAttachmentAsync(conversation.Id, message.MessageId, directory, progress, cancellationToken));
            var view = CliOutput.View(client, client.Store.GetMessage(message.LocalId) ?? message, saved);
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(view, CliJsonContext.Default.MessageView);
            }
            else
            {
                Console.WriteLine($"Saved {view.Attachment!.FileName} ({ByteCount.Format(view.Attachment.Size)}) to {saved}.");
            }
            return 0;
        }));
        return command;
    }

    private static int Report(ParleyClient client, StoredMessage message, bool json)
    {
        var view = CliOutput.View(client, message);
        if (message.State.Status == DeliveryStatus.Failed)
        {
            throw new CommandFailedException($"The server refused the message to {view.Conversation}.", "send_refused");
        }
        if (json)
        {
            CliOutput.WriteJson(view, CliJsonContext.Default.MessageView);
        }
        else if (message.State.Status == DeliveryStatus.Pending)
        {
            Console.WriteLine($"Queued {view.Id} for {view.Conversation}: the server is unreachable or asked to wait; it goes out with the next `parley receive`.");
        }
        else
        {
            Console.WriteLine($"Sent {view.Id} to {view.Conversation}.");
        }
        return 0;
    }

    public static Command Receive()
    {
        var json = Json();
        var wait = new Option<double>("--wait") { Description = "When nothing is waiting, wait up to this many seconds for a message.", DefaultValueFactory = _ => 0 };
        var downloads = new Option<string?>("--download-dir") { Description = "Download received files into this folder." };
        var ids = Ids();
        var command = new Command("receive", "Fetch and show new messages (and send what waited in the outbox).") { json, wait, downloads, ids };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            bool asJson = parse.GetValue(json);
            var report = await client.SyncAsync(cancellationToken);
            var events = report.Events.ToList();
            double seconds = parse.GetValue(wait);
            if (seconds > 0 && Unseen(client, events).Count == 0)
            {
                events.AddRange(await WaitForMessagesAsync(client, TimeSpan.FromSeconds(seconds), cancellationToken));
            }
            var unseen = Unseen(client, events);
            var views = new List<MessageView>();
            foreach (var message in unseen)
            {
                string? saved = null;
                if (parse.GetValue(downloads) is { } directory && message.Content is AttachmentContent)
                {
                    directory = CliSession.FullPath(directory);
                    foreach (var attachment in client.AttachmentsOf(message))
                    {
                        saved = await CliOutput.WithProgressAsync(CliOutput.Interactive(asJson), attachment.Reference.FileName,
                            progress => client.DownloadAttachmentAsync(attachment, directory, progress, cancellationToken));
                    }
                }
                views.Add(CliOutput.View(client, message, saved));
            }
            if (unseen.Count > 0)
            {
                await client.Store.MarkShownAsync(unseen[^1].LocalId, cancellationToken);
            }
            foreach (var id in unseen.Where(m => !m.IsOutgoing).Select(m => m.Conversation).Distinct())
            {
                await client.MarkReadAsync(id, cancellationToken);
            }
            if (asJson)
            {
                CliOutput.WriteJson(views, CliJsonContext.Default.ListMessageView);
                return 0;
            }
            foreach (var e in events.Where(e => e is not MessageReceived and not MessageUpdated))
            {
                Console.WriteLine(CliOutput.Describe(e));
            }
            foreach (var view in views)
            {
                Console.WriteLine((parse.GetValue(ids) ? view.Id + "  " : "") + CliOutput.Line(view, showConversation: true));
            }
            if (views.Count == 0 && events.Count == 0)
            {
                Console.Error.WriteLine("No new messages.");
            }
            if (report.Pending > 0)
            {
                Console.Error.WriteLine($"{report.Pending} message(s) still wait for the server.");
            }
            return 0;
        }));
        return command;
    }

    // The messages to show: unread incoming ones, and copies of this account's messages from its other devices
    // that this run received; in arrival order; none that this device showed before (`parley listen` did).
    private static List<StoredMessage> Unseen(ParleyClient client, IEnumerable<ClientEvent> events)
    {
        long shown = client.Store.ShownThrough.Value;
        var messages = new Dictionary<long, StoredMessage>();
        foreach (var received in events.OfType<MessageReceived>())
        {
            if (client.Store.GetMessage(received.Message.LocalId) is { } current)
            {
                messages[current.LocalId.Value] = current;
            }
        }
        foreach (var conversation in client.Store.Conversations.Where(c => c.UnreadCount > 0))
        {
            foreach (var message in client.History(conversation.Id, Math.Max(50, conversation.UnreadCount * 2)))
            {
                if (!message.IsOutgoing && !message.State.Read)
                {
                    messages[message.LocalId.Value] = message;
                }
            }
        }
        return messages.Values.Where(m => m.LocalId.Value > shown).OrderBy(m => m.LocalId.Value).ToList();
    }

    private static async Task<List<ClientEvent>> WaitForMessagesAsync(ParleyClient client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var events = new List<ClientEvent>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout);
        void OnEvent(ClientEvent e)
        {
            if (CliOutput.IsOwnAction(e))
            {
                return;
            }
            lock (events)
            {
                events.Add(e);
            }
            if (e is MessageReceived)
            {
                // Give messages sent together a moment to arrive together.
                stop.CancelAfter(TimeSpan.FromMilliseconds(500));
            }
        }
        client.EventRaised += OnEvent;
        try
        {
            // When this process already listens (the command came through the local endpoint), events arrive by
            // themselves; a second listener would replace the first one's connection.
            await (client.IsListening ? Task.Delay(Timeout.Infinite, stop.Token) : client.ListenAsync(stop.Token));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out or got something.
        }
        finally
        {
            client.EventRaised -= OnEvent;
        }
        lock (events)
        {
            return [.. events];
        }
    }

    public static Command Listen()
    {
        var json = Json();
        var downloads = new Option<string?>("--download-dir") { Description = "Download received files into this folder." };
        var command = new Command("listen", "Stay connected and print messages as they arrive, until Ctrl+C.") { json, downloads };
        command.SetAction(CliSession.Serving(async (parse, client, cancellationToken) =>
        {
            bool asJson = parse.GetValue(json);
            string? directory = parse.GetValue(downloads);
            var queue = client.Subscribe(ListenQueue);
            var printer = Task.Run(async () =>
            {
                await foreach (var e in queue.ReadAllAsync(CancellationToken.None))
                {
                    await PrintAsync(client, e, asJson, directory, cancellationToken);
                }
            }, CancellationToken.None);
            if (!asJson)
            {
                Console.Error.WriteLine($"Listening as {client.Username}; Ctrl+C to stop.");
            }
            var stop = await client.ListenAsync(cancellationToken, connected =>
            {
                // Stopping (Ctrl+C) closes the connection too; that is no reason to say "reconnecting".
                if (!asJson && !cancellationToken.IsCancellationRequested)
                {
                    Console.Error.WriteLine(connected ? "(connected)" : "(disconnected; reconnecting)");
                }
            });
            queue.Dispose();
            await printer;
            return stop switch
            {
                Parley.Client.Network.DeliveryStop.Revoked => throw new CommandFailedException("This device was revoked.", "device_revoked"),
                Parley.Client.Network.DeliveryStop.Replaced => throw new CommandFailedException("Another connection of this device replaced this one.", "replaced"),
                Parley.Client.Network.DeliveryStop.Suspended => throw new CommandFailedException(
                    "The server's operator suspended this account; contact the operator of the server.", "account_suspended"),
                _ => 0,
            };
        }));
        return command;
    }

    // Events `parley listen` may have waiting while it prints (downloads included) before it drops the oldest.
    private const int ListenQueue = 65536;

    private static async Task PrintAsync(ParleyClient client, ClientEvent e, bool json, string? directory, CancellationToken cancellationToken)
    {
        try
        {
            if (e is MessageReceived received)
            {
                string? saved = null;
                if (directory is not null && received.Message.Content is AttachmentContent)
                {
                    foreach (var attachment in client.AttachmentsOf(received.Message))
                    {
                        saved = await client.DownloadAttachmentAsync(attachment, directory, null, cancellationToken);
                    }
                }
                var view = CliOutput.View(client, received.Message, saved);
                // Marked before it is printed, so a `parley receive` started on seeing it does not show it again.
                await client.Store.MarkShownAsync(received.Message.LocalId, cancellationToken);
                if (json)
                {
                    CliOutput.WriteJson(view, CliJsonContext.Default.MessageView);
                }
                else
                {
                    Console.WriteLine(CliOutput.Line(view, showConversation: true));
                }
                return;
            }
            if (json)
            {
                if (CliOutput.EventView(e) is { } ev)
                {
                    CliOutput.WriteJson(ev, CliJsonContext.Default.EventView);
                }
            }
            else if (e is not MessageUpdated && !CliOutput.IsOwnAction(e))
            {
                Console.WriteLine(CliOutput.Describe(e));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine("parley: " + CliErrors.Describe(ex).Message);
        }
    }

    public static Command History()
    {
        var target = Target();
        var limit = new Option<int>("--limit") { Description = "How many messages (newest).", DefaultValueFactory = _ => 50 };
        var json = Json();
        var ids = Ids();
        var command = new Command("history", "Show a conversation's recent messages (from this device's store).") { target, limit, json, ids };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            var conversation = client.GetConversation(parse.GetValue(target)!);
            var views = client.History(conversation.Id, Math.Max(1, parse.GetValue(limit))).Select(m => CliOutput.View(client, m)).ToList();
            if (conversation.UnreadCount > 0)
            {
                await client.MarkReadAsync(conversation.Id, cancellationToken);
            }
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(views, CliJsonContext.Default.ListMessageView);
            }
            else
            {
                foreach (var view in views)
                {
                    Console.WriteLine((parse.GetValue(ids) ? view.Id + "  " : "") + CliOutput.Line(view, showConversation: false));
                }
            }
            return 0;
        }));
        return command;
    }

    public static Command Search()
    {
        var text = new Argument<string>("TEXT") { Description = "Words to look for (each as a word prefix)." };
        var within = new Option<string?>("--in") { Description = "Only this conversation." };
        var json = Json();
        var command = new Command("search", "Search this device's message history (nothing is sent to the server).") { text, within, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            ConversationId? scope = parse.GetValue(within) is { } name ? client.GetConversation(name).Id : null;
            var hits = await client.SearchAsync(parse.GetValue(text)!, scope, 50, cancellationToken);
            var views = new List<SearchView>();
            foreach (var hit in hits)
            {
                if (client.Store.GetMessage(hit.Message) is { } message)
                {
                    views.Add(new SearchView(client.Store.GetConversation(hit.Conversation)?.DisplayName ?? "?", message.MessageId, message.SenderUsername,
                        message.SentAt, hit.Snippet));
                }
            }
            if (parse.GetValue(json))
            {
                CliOutput.WriteJson(views, CliJsonContext.Default.ListSearchView);
            }
            else if (views.Count == 0)
            {
                Console.Error.WriteLine("No messages match.");
            }
            else
            {
                foreach (var v in views)
                {
                    Console.WriteLine($"{v.SentAt.ToLocalTime():yyyy-MM-dd HH:mm} [{v.Conversation}] {v.From}: {v.Snippet}");
                }
            }
            return 0;
        }));
        return command;
    }

    public static Command Disappear()
    {
        var target = Target();
        var duration = new Argument<string>("DURATION") { Description = "How long messages live, e.g. 30s, 5m, 1h, 7d; or off." };
        var json = Json();
        var command = new Command("disappear", "Set the conversation's disappearing-message timer for everyone.") { target, duration, json };
        command.SetAction(CliSession.With(command, async (parse, client, cancellationToken) =>
        {
            // Bad input changes nothing: read the duration before a new chat is opened.
            string text = parse.GetValue(duration)!;
            TimeSpan? timer = text.Equals("off", StringComparison.OrdinalIgnoreCase) ? null : Durations.Parse(text);
            var conversation = await ResolveAsync(client, parse.GetValue(target)!, cancellationToken);
            await client.SetDisappearingTimerAsync(conversation.Id, timer, cancellationToken);
            return CliOutput.Done(parse.GetValue(json), new DoneView("timer", conversation.DisplayName, conversation.Id.ToString(), timer is { } t ? Durations.Format(t) : "off"),
                timer is { } after
                    ? $"Messages in {conversation.DisplayName} now disappear {Durations.Format(after)} after they arrive."
                    : $"Messages in {conversation.DisplayName} no longer disappear.");
        }));
        return command;
    }
}
