// Attachments (docs/client-envelope.md, "Attachment encryption"): sending a file, and fetching the file of a
// received message. The encryption, upload and download are Attachments/AttachmentTransfers.cs.
using Parley.Content;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Client.Network;

namespace Parley.Client;

/// <summary>What a transfer is doing.</summary>
public enum TransferStage
{
    Encrypting,
    Uploading,
    Downloading,
    Decrypting,
}

/// <summary>Progress of an attachment transfer: <paramref name="Done"/> of <paramref name="Total"/> bytes in <paramref name="Stage"/>.</summary>
public readonly record struct TransferProgress(TransferStage Stage, long Done, long Total);

public sealed partial class ParleyClient
{
    /// <summary>Encrypts and uploads <paramref name="path"/>, then sends it to the conversation with an optional caption.
    /// A file over the server's limit is refused before it is encrypted or uploaded, with the limit in the file's units.
    /// An upload cut off midway (a lost connection, a stopped process) resumes where it stopped when the same file is
    /// sent again, while the server keeps the unfinished blob (a day by default).</summary>
    public async Task<StoredMessage> SendFileAsync(ConversationId conversation, string path, string caption = "", string? contentType = null,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new FileNotFoundException($"There is no file {path}.", path);
        }
        _ = _store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
        var unsent = await _attachments.UploadFileAsync(file, contentType, progress, cancellationToken).ConfigureAwait(false);
        var reference = contentType is null ? unsent.Reference : unsent.Reference with { ContentType = contentType };
        StoredMessage message;
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var local = await SendCoreAsync(conversation, new AttachmentContent(reference, caption), cancellationToken).ConfigureAwait(false);
            message = _store.GetMessage(local!.Value) ?? throw new ParleyClientException("The message disappeared before it was sent.");
        }
        await _attachments.AdoptAsync(message, unsent).ConfigureAwait(false);
        return message;
    }

    /// <summary>The attachments of a message.</summary>
    public IReadOnlyList<StoredAttachment> AttachmentsOf(StoredMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _store.GetAttachments(message.LocalId);
    }

    /// <summary>Downloads the file of message <paramref name="messageId"/> (or a prefix of it, as <see cref="ResolveMessage"/>
    /// takes) of a conversation into <paramref name="directory"/>,
    /// as <see cref="DownloadAttachmentAsync(StoredAttachment, string, IProgress{TransferProgress}?, CancellationToken)"/> does:
    /// a file that was not downloaded when it arrived can be fetched while its blob is still on the server. Throws
    /// <see cref="ParleyClientException"/> when there is no such message, it is not a file, or the blob is gone.</summary>
    public Task<string> DownloadAttachmentAsync(ConversationId conversation, string messageId, string directory,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var message = ResolveMessage(conversation, messageId);
        messageId = message.MessageId;
        if (message.State.Deleted)
        {
            throw new ParleyClientException($"Message {messageId} was deleted, and its file with it.");
        }
        if (message.Content is not AttachmentContent)
        {
            throw new ParleyClientException($"Message {messageId} is not a file.");
        }
        var attachment = _store.GetAttachments(message.LocalId).FirstOrDefault()
                         ?? throw new ParleyClientException($"This device no longer holds the key of message {messageId}'s file.");
        return DownloadAttachmentAsync(attachment, directory, progress, cancellationToken);
    }

    /// <summary>Downloads (resuming a partial download), checks and decrypts an attachment into <paramref name="directory"/>
    /// under its file name (made safe and unique). Returns the plaintext file's path. Throws
    /// <see cref="AttachmentIntegrityException"/> when the ciphertext does not match the digest the sender signed.</summary>
    public Task<string> DownloadAttachmentAsync(StoredAttachment attachment, string directory, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return _attachments.DownloadAsync(attachment, directory, progress, cancellationToken);
    }

    /// <summary>A file name that cannot leave the folder or name a device.</summary>
    public static string SafeFileName(string name) => AttachmentTransfers.SafeFileName(name);

    /// <summary>A path for <paramref name="name"/> in <paramref name="directory"/> that no file holds yet: the name
    /// itself, else "name (1).ext", "name (2).ext", …</summary>
    public static string UniquePath(string directory, string name) => AttachmentTransfers.UniquePath(directory, name);
}

/// <summary>Guesses a MIME type from a file name.</summary>
public static class ContentTypes
{
    /// <summary>The MIME type for the file's extension, or application/octet-stream.</summary>
    public static string Guess(string fileName) => Path.GetExtension(fileName ?? "").ToLowerInvariant() switch
    {
        ".txt" => "text/plain",
        ".md" => "text/markdown",
        ".pdf" => "application/pdf",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".mp4" => "video/mp4",
        ".mp3" => "audio/mpeg",
        ".zip" => "application/zip",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
