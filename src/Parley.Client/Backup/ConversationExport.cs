// A person's own plaintext copy of one conversation (`parley export`): JSON, plain text or a standalone HTML page.
// Local only: nothing is sent anywhere, and the file is as readable as whoever can read it.
using System.Globalization;
using System.Net;
using System.Text.Json;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Storage;
using Parley.Content;

namespace Parley.Client.Backup;

/// <summary>The formats of a conversation export.</summary>
public enum ExportFormat
{
    /// <summary>One JSON object with the conversation and an array of messages.</summary>
    Json,

    /// <summary>One line per message: time, sender, text.</summary>
    Text,

    /// <summary>A standalone HTML page, every text escaped.</summary>
    Html,
}

/// <summary>Writes a conversation's stored history in an <see cref="ExportFormat"/>, oldest first, a page at a time.</summary>
internal static class ConversationExport
{
    private const int Page = 500;

    public static int Write(ClientStore store, Conversation conversation, ExportFormat format, Stream output)
    {
        using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        int count = format switch
        {
            ExportFormat.Json => WriteJson(store, conversation, output, writer),
            ExportFormat.Text => WriteText(store, conversation, writer),
            ExportFormat.Html => WriteHtml(store, conversation, writer),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
        };
        writer.Flush();
        return count;
    }

    private static IEnumerable<StoredMessage> Messages(ClientStore store, ConversationId conversation)
    {
        for (int index = 0; ; index += Page)
        {
            var page = store.GetMessagesAt(conversation, index, Page);
            foreach (var message in page)
            {
                yield return message;
            }
            if (store.CountMessages(conversation) <= index + Page)
            {
                yield break;
            }
        }
    }

    private static string Sender(StoredMessage m) => m.SenderUsername ?? m.SenderDeviceId;

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // The words of a message without text: what it is, so the export shows that something was there.
    private static string Body(StoredMessage m) => m.State.Deleted
        ? "(deleted)"
        : m.Text is { Length: > 0 } text
            ? (m.Content is AttachmentContent a ? $"[file {a.Attachment.FileName}] {text}" : text)
            : m.Content switch
            {
                AttachmentContent file => $"[file {file.Attachment.FileName}]",
                null => "(deleted)",
                _ => $"({m.Content.GetType().Name.Replace("Content", "", StringComparison.Ordinal).ToLowerInvariant()})",
            };

    private static int WriteText(ClientStore store, Conversation conversation, StreamWriter writer)
    {
        writer.WriteLine($"{conversation.DisplayName} ({conversation.Kind.ToString().ToLowerInvariant()}), exported {Time(store.Time.GetUtcNow())}");
        int count = 0;
        foreach (var m in Messages(store, conversation.Id))
        {
            // One message, one line: line breaks inside a text are shown as the two characters \n.
            writer.WriteLine($"[{Time(m.SentAt)}] {Sender(m)}: {Body(m).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}");
            count++;
        }
        return count;
    }

    private static int WriteJson(ClientStore store, Conversation conversation, Stream output, StreamWriter writer)
    {
        writer.Flush();
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("conversation", conversation.DisplayName);
        json.WriteString("id", conversation.Id.ToString());
        json.WriteString("kind", conversation.Kind.ToString().ToLowerInvariant());
        json.WriteStartArray("members");
        foreach (var member in conversation.Members)
        {
            json.WriteStringValue(member.Username);
        }
        json.WriteEndArray();
        json.WriteString("exportedAt", store.Time.GetUtcNow());
        json.WriteStartArray("messages");
        int count = 0;
        foreach (var m in Messages(store, conversation.Id))
        {
            json.WriteStartObject();
            json.WriteString("id", m.MessageId);
            json.WriteString("sender", Sender(m));
            json.WriteBoolean("outgoing", m.IsOutgoing);
            json.WriteString("sentAt", m.SentAt);
            if (m.State.Deleted || m.Content is null)
            {
                json.WriteBoolean("deleted", true);
            }
            else
            {
                json.WriteString("type", m.Content.GetType().Name.Replace("Content", "", StringComparison.Ordinal).ToLowerInvariant());
                if (m.Text is { } text)
                {
                    json.WriteString("text", text);
                }
                if (m.State.EditedAt is { } edited)
                {
                    json.WriteString("editedAt", edited);
                }
                if (m.Content is AttachmentContent a)
                {
                    json.WriteString("file", a.Attachment.FileName);
                }
            }
            json.WriteEndObject();
            if (++count % Page == 0)
            {
                json.Flush();
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        return count;
    }

    private static int WriteHtml(ClientStore store, Conversation conversation, StreamWriter writer)
    {
        string title = WebUtility.HtmlEncode(conversation.DisplayName);
        writer.WriteLine("<!DOCTYPE html>");
        writer.WriteLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        // No scripts, styles from elsewhere or remote images: the page shows the same offline, forever.
        writer.WriteLine("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
        writer.WriteLine($"<title>{title}</title>");
        writer.WriteLine("<style>body{font-family:sans-serif;max-width:50em;margin:auto}li{margin:.4em 0;white-space:pre-wrap}time{color:#555}</style>");
        writer.WriteLine($"</head><body><h1>{title}</h1>");
        writer.WriteLine($"<p>Exported {WebUtility.HtmlEncode(Time(store.Time.GetUtcNow()))}.</p><ol>");
        int count = 0;
        foreach (var m in Messages(store, conversation.Id))
        {
            writer.WriteLine($"<li><time datetime=\"{m.SentAt.UtcDateTime:O}\">{WebUtility.HtmlEncode(Time(m.SentAt))}</time> "
                + $"<b>{WebUtility.HtmlEncode(Sender(m))}</b>: {WebUtility.HtmlEncode(Body(m))}</li>");
            count++;
        }
        writer.WriteLine("</ol></body></html>");
        return count;
    }
}
