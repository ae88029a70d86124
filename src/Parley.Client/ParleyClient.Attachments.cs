// Attachments (docs/client-envelope.md, "Attachment encryption"): the file is encrypted in chunks under a
// fresh key to a local ciphertext file, uploaded as a blob in resumable chunks, and its reference (blob id,
// key, digest) travels inside the MLS message. Uploads resume across runs (the unsent attachment is kept in
// the store), downloads resume from their partial file, and decrypt only after the digest and every chunk
// check out.
using Parley.Content;
using System.Globalization;
using System.Security.Cryptography;
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
        Directory.CreateDirectory(_store.AttachmentsDirectory);
        var blobs = new BlobTransfer(_server);
        string source = SourceOf(file);
        var unsent = _store.GetUnsentAttachments().FirstOrDefault(a => a.Source == source && a.LocalPath is { } local && File.Exists(local)
                                                                      && new FileInfo(local).Length == a.Reference.CiphertextLength);
        if (unsent is not null && !await UploadAsync(blobs, unsent, progress, cancellationToken).ConfigureAwait(false))
        {
            // The server dropped the unfinished blob: start over.
            await ForgetUnsentAsync(unsent.Id, keepFile: false).ConfigureAwait(false);
            unsent = null;
        }
        if (unsent is null)
        {
            unsent = await EncryptForUploadAsync(blobs, file, source, contentType, progress, cancellationToken).ConfigureAwait(false);
            if (!await UploadAsync(blobs, unsent, progress, cancellationToken).ConfigureAwait(false))
            {
                await ForgetUnsentAsync(unsent.Id, keepFile: false).ConfigureAwait(false);
                throw new ParleyClientException($"The server dropped the upload of {file.Name} before it finished; send it again.");
            }
        }
        var reference = contentType is null ? unsent.Reference : unsent.Reference with { ContentType = contentType };
        StoredMessage message;
        using (await LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            var local = await SendCoreAsync(conversation, new AttachmentContent(reference, caption), cancellationToken).ConfigureAwait(false);
            message = _store.GetMessage(local!.Value) ?? throw new ParleyClientException("The message disappeared before it was sent.");
        }
        // The message's attachment takes the ciphertext over as this device's local copy; the unsent record goes.
        using (var transaction = await _store.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false))
        {
            var attachment = _store.GetAttachments(message.LocalId).FirstOrDefault();
            if (attachment is not null)
            {
                transaction.UpdateAttachment(attachment with { LocalPath = unsent.LocalPath });
            }
            transaction.DeleteAttachment(unsent.Id, keepFile: attachment is not null);
            transaction.Commit();
        }
        return message;
    }

    // What identifies "the same file" when it is sent again: its full path, length and modification time.
    private static string SourceOf(FileInfo file)
        => string.Join('\n', file.FullName, file.Length.ToString(CultureInfo.InvariantCulture),
            file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture));

    /// <summary>Creates the blob (so the server's size limit refuses a file before any work), encrypts the file into a
    /// local ciphertext and records both as an unsent attachment that expires with the unfinished blob.</summary>
    private async Task<StoredAttachment> EncryptForUploadAsync(BlobTransfer blobs, FileInfo file, string source, string? contentType,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        long size = file.Length;
        int chunkSize = AttachmentCipher.DefaultChunkSize;
        CreateBlobResponse blob;
        try
        {
            blob = await blobs.CreateAsync(AttachmentCipher.CiphertextLength(size, chunkSize), cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code == "blob_too_large")
        {
            throw new ParleyClientException(TooLarge(file.Name, size, e.MaxFileSize, e.Message), e);
        }
        // The blob is of the padded file: one a little over the limit can pad to a size that fits.
        if (blob.MaxFileSize is { } most && size > most)
        {
            await DeleteBlobQuietlyAsync(blobs, blob.BlobId).ConfigureAwait(false);
            throw new ParleyClientException(TooLarge(file.Name, size, most, null));
        }
        string cipherPath = Path.Combine(_store.AttachmentsDirectory, AttachmentId.New() + ".bin");
        bool recorded = false;
        try
        {
            var encrypted = await AttachmentCipher.EncryptFileAsync(file.FullName, cipherPath, chunkSize,
                new Progress(progress, TransferStage.Encrypting, size), cancellationToken).ConfigureAwait(false);
            try
            {
                if (encrypted.CiphertextLength != blob.Size)
                {
                    throw new ParleyClientException($"{file.Name} changed while it was being encrypted; send it again when it is complete.");
                }
                var reference = encrypted.ToReference(blob.BlobId, contentType ?? ContentTypes.Guess(file.Name), file.Name);
                using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var unsent = transaction.AddAttachment(null, reference, cipherPath, blob.ExpiresAt, source);
                transaction.Commit();
                recorded = true;
                return unsent;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(encrypted.Key);
            }
        }
        finally
        {
            if (!recorded)
            {
                File.Delete(cipherPath);
                await DeleteBlobQuietlyAsync(blobs, blob.BlobId).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Uploads an unsent attachment's ciphertext from wherever the server's copy ends. False when the server no
    /// longer has the blob (its upload window passed).</summary>
    private static async Task<bool> UploadAsync(BlobTransfer blobs, StoredAttachment unsent, IProgress<TransferProgress>? progress,
        CancellationToken cancellationToken)
    {
        long length = unsent.Reference.CiphertextLength;
        try
        {
            await using var ciphertext = new FileStream(unsent.LocalPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
            await blobs.UploadAsync(unsent.Reference.BlobId, ciphertext, new Progress(progress, TransferStage.Uploading, length), cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (ServerProblemException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private async Task ForgetUnsentAsync(AttachmentId id, bool keepFile)
    {
        using var transaction = await _store.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        transaction.DeleteAttachment(id, keepFile);
        transaction.Commit();
    }

    // Gives back the quota of a blob that will not be used; the server drops it at the end of its upload window anyway.
    private static async Task DeleteBlobQuietlyAsync(BlobTransfer blobs, string blobId)
    {
        try
        {
            await blobs.DeleteAsync(blobId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerProblemException or ServerUnavailableException or HttpRequestException or IOException)
        {
        }
    }

    private static string TooLarge(string name, long size, long? maxFileSize, string? refusal)
    {
        if (maxFileSize is not { } limit)
        {
            return $"{name} ({ByteCount.Format(size)}) is larger than this server takes: {refusal}";
        }
        var (file, most) = ByteCount.FormatDistinct(size, limit);
        return $"{name} is {file}; this server takes files of at most {most}.";
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
    public async Task<string> DownloadAttachmentAsync(StoredAttachment attachment, string directory, IProgress<TransferProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var reference = attachment.Reference;
        string cipherPath = await LocalCiphertextAsync(attachment, progress, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(directory);
        string target = UniquePath(directory, SafeFileName(reference.FileName));
        try
        {
            await AttachmentCipher.DecryptFileAsync(cipherPath, target, reference, new Progress(progress, TransferStage.Decrypting, reference.Size),
                cancellationToken).ConfigureAwait(false);
        }
        catch (AttachmentIntegrityException)
        {
            // A corrupt or substituted ciphertext: forget the local copy so a later try downloads again.
            File.Delete(cipherPath);
            throw;
        }
        return target;
    }

    /// <summary>The local ciphertext file of an attachment, downloaded first (resuming a partial download) when this
    /// device has no complete copy.</summary>
    private async Task<string> LocalCiphertextAsync(StoredAttachment attachment, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var reference = attachment.Reference;
        Directory.CreateDirectory(_store.AttachmentsDirectory);
        string cipherPath = attachment.LocalPath ?? Path.Combine(_store.AttachmentsDirectory, attachment.Id + ".bin");
        if (!File.Exists(cipherPath) || new FileInfo(cipherPath).Length != reference.CiphertextLength)
        {
            string partial = Path.Combine(_store.AttachmentsDirectory, attachment.Id + ".part");
            try
            {
                await using var destination = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous);
                if (destination.Length > reference.CiphertextLength)
                {
                    destination.SetLength(0);
                }
                await new BlobTransfer(_server).DownloadAsync(reference.BlobId, destination, reference.CiphertextLength,
                    new Progress(progress, TransferStage.Downloading, reference.CiphertextLength), cancellationToken).ConfigureAwait(false);
            }
            catch (ServerProblemException e) when (e.Code == "blob_not_found")
            {
                // Nothing more will come: drop what part of it arrived.
                File.Delete(partial);
                throw new ParleyClientException(
                    $"{reference.FileName} is no longer on the server: it expired or its sender deleted it. Ask the sender to send it again.", e);
            }
            File.Move(partial, cipherPath, overwrite: true);
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            transaction.UpdateAttachment(attachment with { LocalPath = cipherPath });
            transaction.Commit();
        }
        return cipherPath;
    }

    /// <summary>A file name that cannot leave the folder or name a device.</summary>
    public static string SafeFileName(string name)
    {
        string file = Path.GetFileName((name ?? "").Replace('\\', '/'));
        var chars = file.Select(c => char.IsControl(c) || Path.GetInvalidFileNameChars().Contains(c) ? '_' : c).ToArray();
        string safe = new string(chars).Trim().TrimStart('.');
        return safe.Length == 0 ? "attachment" : safe.Length > 120 ? safe[..120] : safe;
    }

    /// <summary>A path for <paramref name="name"/> in <paramref name="directory"/> that no file holds yet: the name
    /// itself, else "name (1).ext", "name (2).ext", …</summary>
    public static string UniquePath(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        string stem = Path.GetFileNameWithoutExtension(name);
        string extension = Path.GetExtension(name);
        for (int i = 1; File.Exists(path); i++)
        {
            path = Path.Combine(directory, $"{stem} ({i}){extension}");
        }
        return path;
    }

    private sealed class Progress(IProgress<TransferProgress>? target, TransferStage stage, long total) : IProgress<long>
    {
        public void Report(long value) => target?.Report(new TransferProgress(stage, value, total));
    }
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
