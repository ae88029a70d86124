using Parley.Content;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.Client;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Sync;
using Spectre.Console;

namespace Parley.Cli;

/// <summary>An attachment as the CLI prints it.</summary>
internal sealed record AttachmentView(string FileName, long Size, string ContentType, string? SavedTo);

/// <summary>A message as the CLI prints it (and as <c>--json</c> writes it).</summary>
internal sealed record MessageView(
    string Conversation,
    string ConversationId,
    string Id,
    string? From,
    string FromDevice,
    bool Outgoing,
    string Kind,
    string? Text,
    string? ReplyTo,
    AttachmentView? Attachment,
    DateTimeOffset SentAt,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ExpiresAt,
    string Status,
    bool Edited,
    bool Deleted,
    IReadOnlyList<string> Reactions,
    IReadOnlyList<string> DeliveredTo,
    IReadOnlyList<string> ReadBy);

/// <summary>A conversation as <c>group list</c> prints it, with its group's MLS cipher suite and whether that suite is
/// post-quantum.</summary>
internal sealed record ConversationView(string Id, string Name, string Kind, IReadOnlyList<string> Members, string? DisappearAfter, int Unread, bool Member,
    ushort CipherSuite, bool PostQuantum);

/// <summary>A device as <c>device list</c> prints it.</summary>
internal sealed record DeviceView(string DeviceId, bool Current, bool Revoked, bool CertificateValid);

/// <summary>A safety number as <c>verify</c> prints it.</summary>
internal sealed record SafetyNumberView(string Username, string SafetyNumber, string QrPayload, bool Verified, bool IdentityChanged);

/// <summary>A search result.</summary>
internal sealed record SearchView(string Conversation, string Id, string? From, DateTimeOffset SentAt, string Snippet);

/// <summary>A non-message event of <c>listen</c> / <c>receive</c>.</summary>
internal sealed record EventView(string Type, string? Conversation, string Text);

/// <summary>The result of a command that changes something.</summary>
internal sealed record DoneView(string Status, string? Conversation, string? Id, string? Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<SuiteInfo>))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(List<MessageView>))]
[JsonSerializable(typeof(List<ConversationView>))]
[JsonSerializable(typeof(List<DeviceView>))]
[JsonSerializable(typeof(SafetyNumberView))]
[JsonSerializable(typeof(List<SearchView>))]
[JsonSerializable(typeof(EventView))]
[JsonSerializable(typeof(DoneView))]
[JsonSerializable(typeof(ErrorView))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>Formats messages and events for people and for <c>--json</c>.</summary>
internal static class CliOutput
{
    public static MessageView View(ParleyClient client, StoredMessage message, string? savedTo = null)
    {
        var conversation = client.Store.GetConversation(message.Conversation);
        AttachmentView? attachment = message.Content is AttachmentContent a && !message.State.Deleted
            ? new AttachmentView(a.Attachment.FileName, a.Attachment.Size, a.Attachment.ContentType, savedTo)
            : null;
        return new MessageView(
            conversation?.DisplayName ?? "?",
            conversation?.SharedId ?? "",
            message.MessageId,
            message.SenderUsername,
            message.SenderDeviceId,
            message.IsOutgoing,
            message.Content is null ? "deleted" : KindName(message.Content),
            message.State.Deleted ? null : message.Text ?? SystemText(message),
            message.Content is ReplyContent r ? r.InReplyTo : null,
            attachment,
            message.SentAt,
            message.ReceivedAt,
            message.ExpiresAt,
            message.State.Status.ToString().ToLowerInvariant(),
            message.State.EditedText is not null,
            message.State.Deleted,
            message.State.Reactions.Select(x => $"{x.Reactor} {x.Emoji}").ToList(),
            message.State.Receipts.Where(x => x.DeliveredAt is not null || x.ReadAt is not null).Select(x => x.Recipient).Order(StringComparer.Ordinal).ToList(),
            message.State.Receipts.Where(x => x.ReadAt is not null).Select(x => x.Recipient).Order(StringComparer.Ordinal).ToList());
    }

    public static string KindName(MessageContent content) => content switch
    {
        TextContent => "text",
        ReplyContent => "reply",
        AttachmentContent => "file",
        DisappearingTimerContent => "timer",
        ConversationInfoContent => "info",
        UnsupportedContent => "unsupported",
        _ => content.Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The text of a system message (timer change, rename), or null.</summary>
    public static string? SystemText(StoredMessage message) => message.Content switch
    {
        DisappearingTimerContent { Timer: { } t } => $"set disappearing messages to {Durations.Format(t)}",
        DisappearingTimerContent => "turned disappearing messages off",
        ConversationInfoContent info => $"named the group {info.Title}",
        UnsupportedContent => "sent a message this version of Parley cannot show",
        _ => null,
    };

    /// <summary>One line for a person: <c>12:01 [team] alice: hello</c>.</summary>
    public static string Line(MessageView m, bool showConversation)
    {
        string time = m.SentAt.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture);
        string where = showConversation ? $"[{m.Conversation}] " : "";
        string who = m.From ?? "?";
        if (m.Deleted)
        {
            return $"{time} {where}{who}: (deleted)";
        }
        string body = m.Kind switch
        {
            "timer" or "info" or "unsupported" => $"* {who} {m.Text}",
            "file" => $"{who}: [file {m.Attachment!.FileName}, {ByteCount.Format(m.Attachment.Size)}]{(string.IsNullOrEmpty(m.Text) ? "" : " " + m.Text)}"
                      + (m.Attachment.SavedTo is { } saved ? $" saved to {saved}" : ""),
            _ => $"{who}: {m.Text}",
        };
        if (m.Kind is "timer" or "info" or "unsupported")
        {
            return $"{time} {where}{body}";
        }
        string extras = (m.Edited ? " (edited)" : "") + (m.Reactions.Count > 0 ? $" [{string.Join(", ", m.Reactions)}]" : "")
                        + (m.ReplyTo is not null ? $" (reply to {m.ReplyTo})" : "");
        string marks = m.Outgoing ? " " + Marks(m) : "";
        return $"{time} {where}{body}{extras}{marks}";
    }

    /// <summary>How far an outgoing message got: <c>✓</c> the server has it, <c>✓✓</c> a recipient's device has it,
    /// <c>✓✓ read by bob</c>; <c>(queued)</c> while it waits in the outbox, <c>(not sent)</c> when the server refused it.</summary>
    public static string Marks(MessageView m) => m.Status switch
    {
        "pending" => "(queued)",
        "failed" => "(not sent)",
        _ when m.ReadBy.Count > 0 => $"✓✓ read by {string.Join(", ", m.ReadBy)}",
        _ when m.DeliveredTo.Count > 0 => "✓✓",
        _ => "✓",
    };

    public static string Describe(ClientEvent e) => e switch
    {
        ConversationJoined { Conversation.Kind: ConversationKind.Direct } j => j.AddedBy is { } by
            ? $"{by} started a chat with you."
            : $"You have a new chat with {j.Conversation.DisplayName}.",
        ConversationJoined j => $"You were added to {j.Conversation.DisplayName}{(j.AddedBy is { } by ? " by " + by : "")}.",
        MembershipChanged m => Membership(m),
        ConversationUpdated u => $"{u.Conversation.DisplayName}: {u.By ?? "someone"} {u.Change}.",
        ChannelHistoryShared h => $"{h.Conversation.DisplayName}: {h.By ?? "someone"} shared {h.Posts} recent post{(h.Posts == 1 ? "" : "s")} "
                                  + $"(see `parley channel read {h.Conversation.DisplayName}`).",
        RemovedFromConversation r => $"You were removed from {r.Conversation.DisplayName}{(r.By is null ? "" : " by " + r.By)}.",
        DeliveryDropped d => $"A message was dropped: {d.Reason}.",
        JoinRequested j => $"Someone asked to join {j.Channel} (request {j.RequestId}): `parley channel approve {Quoted(j.Channel)} {j.RequestId}` "
                           + $"adds them as an anonymous subscriber, `parley channel deny {Quoted(j.Channel)} {j.RequestId}` refuses.",
        MessageUpdated u => $"{u.Conversation.DisplayName}: message {u.Message.MessageId} {u.Change}.",
        MessageSent s => $"{s.Conversation.DisplayName}: message {s.Message.MessageId} queued.",
        MessageStatusChanged s => $"{s.Conversation.DisplayName}: message {s.Message.MessageId} {(s.Status == DeliveryStatus.Failed ? "was refused by the server" : "sent")}.",
        IdentityKeyChanged k => $"{k.Contact.Username}'s identity key changed, so your safety number with them changed; their messages are refused until you "
                                + $"compare it (`parley verify {k.Contact.Username}`) and accept it (`parley verify {k.Contact.Username} --accept-new-key`).",
        ContactUpdated c => $"{c.Contact.Username}: {c.Change}.",
        ConversationRead r => $"{r.Conversation.DisplayName}: {r.Marked} message(s) marked read.",
        DevicesChanged d => Devices(d),
        _ => e.ToString(),
    };

    public static EventView? EventView(ClientEvent e) => e switch
    {
        MessageReceived => null,
        MessageUpdated => null,
        ConversationJoined j => new EventView("joined", j.Conversation.DisplayName, Describe(e)),
        MembershipChanged m => new EventView("members", m.Conversation.DisplayName, Describe(e)),
        ConversationUpdated u => new EventView("updated", u.Conversation.DisplayName, Describe(e)),
        ChannelHistoryShared h => new EventView("updated", h.Conversation.DisplayName, Describe(e)),
        RemovedFromConversation r => new EventView("removed", r.Conversation.DisplayName, Describe(e)),
        DeliveryDropped => new EventView("dropped", null, Describe(e)),
        JoinRequested j => new EventView("join-request", j.Channel, Describe(e)),
        IdentityKeyChanged => new EventView("key-changed", null, Describe(e)),
        DevicesChanged => new EventView("devices", null, Describe(e)),
        _ => null,
    };

    /// <summary>True for events about this device's own actions, which a live view already showed.</summary>
    public static bool IsOwnAction(ClientEvent e) => e is MessageSent or MessageStatusChanged or ContactUpdated or ConversationRead;

    // "A device was linked to your account: 3f2a…; device 9c1d… was revoked."
    private static string Devices(DevicesChanged d)
    {
        var parts = new List<string>();
        if (d.Linked.Count > 0)
        {
            parts.Add($"{(d.Linked.Count == 1 ? "A device was" : "Devices were")} linked to your account: {string.Join(", ", d.Linked)}");
        }
        if (d.Revoked.Count > 0)
        {
            parts.Add($"{(d.Revoked.Count == 1 ? "device" : "devices")} {string.Join(", ", d.Revoked)} revoked");
        }
        string text = string.Join("; ", parts);
        return char.ToUpperInvariant(text[0]) + text[1..] + ".";
    }

    /// <summary>A name as the user would type it in a shell: in double quotes when it has spaces.</summary>
    public static string Quoted(string name) => name.Any(char.IsWhiteSpace) ? $"\"{name}\"" : name;

    // "alice added carol to team; alice removed dave from team; bob left team."
    private static string Membership(MembershipChanged m)
    {
        string who = m.By ?? "someone";
        string group = m.Conversation.DisplayName;
        var parts = new List<string>();
        if (m.Added.Count > 0)
        {
            parts.Add($"{who} added {string.Join(", ", m.Added)} to {group}");
        }
        if (m.Removed.Count > 0)
        {
            parts.Add($"{who} removed {string.Join(", ", m.Removed)} from {group}");
        }
        if (m.Left.Count > 0)
        {
            parts.Add($"{string.Join(", ", m.Left)} left {group}");
        }
        return string.Join("; ", parts) + ".";
    }

    /// <summary>Writes <paramref name="value"/> as one line of JSON, with text (emoji, quotes) as is rather than \u escapes.</summary>
    public static void WriteJson<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            JsonSerializer.Serialize(writer, value, type);
        }
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>True when the command being run has a <c>--json</c> option and it was given.</summary>
    public static bool JsonRequested(System.CommandLine.ParseResult parse)
        => parse.CommandResult.Command.Options.OfType<System.CommandLine.Option<bool>>().FirstOrDefault(o => o.Name == "--json") is { } json
           && parse.GetValue(json);

    /// <summary>The <c>--json</c> option of one command.</summary>
    public static System.CommandLine.Option<bool> JsonOption() => new("--json") { Description = "Print the result (or the error) as JSON." };

    /// <summary>Reports a change: <paramref name="done"/> as JSON, or <paramref name="sentence"/> for a person. Returns 0.</summary>
    public static int Done(bool json, DoneView done, string sentence)
    {
        if (json)
        {
            WriteJson(done, CliJsonContext.Default.DoneView);
        }
        else
        {
            Console.WriteLine(sentence);
        }
        return 0;
    }

    /// <summary>Whether to draw progress bars (a terminal, not JSON).</summary>
    public static bool Interactive(bool json) => !json && LocalHost.Current is null && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Spectre's console for tables: this process's, or a forwarded command's captured output.</summary>
    public static IAnsiConsole Ansi => LocalHost.Current?.Ansi ?? AnsiConsole.Console;

    /// <summary>Runs <paramref name="work"/> with a Spectre progress bar when interactive.</summary>
    public static Task<T> WithProgressAsync<T>(bool show, string description, Func<IProgress<TransferProgress>?, Task<T>> work)
        => WithStagesAsync<T, TransferProgress, TransferStage>(show, p => (p.Stage, p.Done, p.Total), stage => $"{stage} {description}", true, work);

    /// <summary>Runs <paramref name="work"/> (a linked device's history going out or coming in) with a Spectre progress bar
    /// per step when interactive.</summary>
    public static Task<T> WithHistoryProgressAsync<T>(bool show, Func<IProgress<HistoryProgress>?, Task<T>> work)
        => WithStagesAsync<T, HistoryProgress, HistoryStage>(show, p => (p.Stage, p.Done, p.Total), stage => stage switch
        {
            HistoryStage.Packing => "Packing history (messages)",
            HistoryStage.Uploading => "Uploading history",
            HistoryStage.Downloading => "Downloading history",
            HistoryStage.Checking => "Checking history (messages)",
            _ => "Importing history (messages)",
        }, false, work);

    private static async Task<T> WithStagesAsync<T, TProgress, TStage>(bool show, Func<TProgress, (TStage Stage, long Done, long Total)> read,
        Func<TStage, string> label, bool bytes, Func<IProgress<TProgress>?, Task<T>> work)
        where TStage : notnull
    {
        if (!show)
        {
            return await work(null);
        }
        T result = default!;
        ProgressColumn[] columns = bytes
            ? [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn()]
            : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn()];
        await AnsiConsole.Progress()
            .Columns(columns)
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<TStage, ProgressTask>();
                var progress = new Progress<TProgress>(value =>
                {
                    var (stage, done, total) = read(value);
                    if (!tasks.TryGetValue(stage, out var task))
                    {
                        task = tasks[stage] = context.AddTask(label(stage), maxValue: Math.Max(1, total));
                    }
                    task.MaxValue = Math.Max(1, total);
                    task.Value = done;
                });
                result = await work(progress);
                foreach (var task in tasks.Values)
                {
                    task.Value = task.MaxValue;
                }
            });
        return result;
    }
}
