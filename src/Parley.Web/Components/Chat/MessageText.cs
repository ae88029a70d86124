// How messages read on the page: times, day names, delivery state and system lines.
using System.Globalization;
using Parley.Client.Messages;
using Parley.Client.Sync;
using Parley.Content;

namespace Parley.Web.Components.Chat;

/// <summary>Words for a message's time, day, delivery state and, for system messages, what happened.</summary>
internal static class MessageText
{
    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>"Today", "Yesterday", or the date.</summary>
    public static string Day(DateTimeOffset at, DateTimeOffset now)
    {
        var day = at.ToLocalTime().Date;
        var today = now.ToLocalTime().Date;
        return day == today ? "Today" : day == today.AddDays(-1) ? "Yesterday" : day.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture);
    }

    /// <summary>How far an outgoing message got: Queued, Not sent, Sent, Delivered or Read.</summary>
    public static string Delivery(StoredMessage m) => m.State.Status switch
    {
        DeliveryStatus.Pending => "Queued",
        DeliveryStatus.Failed => "Not sent",
        _ when m.State.Receipts.Any(r => r.ReadAt is not null) => "Read",
        _ when m.State.Receipts.Any(r => r.DeliveredAt is not null) => "Delivered",
        _ => "Sent",
    };

    /// <summary>The line a system message shows (timer change, rename), or null for ordinary messages.</summary>
    public static string? System(StoredMessage m) => m.Content switch
    {
        DisappearingTimerContent { Timer: { } t } => $"set disappearing messages to {Durations.Format(t)}",
        DisappearingTimerContent => "turned disappearing messages off",
        ConversationInfoContent info => $"named the group {info.Title}",
        UnsupportedContent => "sent a message this version of Parley cannot show",
        _ => null,
    };

    /// <summary>A short preview for the chat list.</summary>
    public static string Preview(StoredMessage m)
    {
        string who = m.IsOutgoing ? "You" : m.SenderUsername ?? "?";
        if (m.State.Deleted)
        {
            return $"{who}: (deleted)";
        }
        if (System(m) is { } line)
        {
            return $"{who} {line}";
        }
        return m.Content is AttachmentContent a ? $"{who}: {a.Attachment.FileName}" : $"{who}: {m.Text}";
    }

    /// <summary>True for the image types the page previews.</summary>
    public static bool IsImage(string contentType) => contentType is "image/png" or "image/jpeg" or "image/gif" or "image/webp";

    /// <summary>True for the audio types the page plays (voice notes).</summary>
    public static bool IsAudio(string contentType) => contentType is "audio/webm" or "audio/ogg" or "audio/mp4" or "audio/mpeg";

    /// <summary>The caption a voice note is sent with: its length, which every client can show.</summary>
    public static string VoiceNoteCaption(TimeSpan length) => "Voice note, " + Duration(length);

    /// <summary>A length as m:ss.</summary>
    public static string Duration(TimeSpan length)
    {
        long seconds = Math.Max(1, (long)Math.Round(length.TotalSeconds));
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }

    /// <summary>The accessible name of an audio player: the caption (a voice note's length) and who sent it.</summary>
    public static string AudioName(StoredMessage message, string fileName)
        => (string.IsNullOrEmpty(message.Text) ? fileName : message.Text) + " from " + (message.IsOutgoing ? "you" : message.SenderUsername);
}
