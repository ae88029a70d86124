// Attachments (docs/client-envelope.md, "Attachment encryption"): the file is encrypted in chunks under a
// fresh key to a local ciphertext file, uploaded as a blob in resumable chunks, and its reference (blob id,
// key, digest) travels inside the MLS message. Uploads resume across runs (the unsent attachment is kept in
// the store), downloads resume from their partial file, and decrypt only after the digest and every chunk
// check out.
using Parley.Content;
using System.Globalization;
using System.Security.Cryptography;
using Parley.Client.Messages;
using Parley.Client.Network;

namespace Parley.Client.Attachments;

/// <summary>Encrypts, uploads, downloads and decrypts attachments for one device; the message that carries an
/// attachment is sent by the client.</summary>
internal sealed class AttachmentTransfers(DeviceContext device)
{
    /// <summary>Encrypts and uploads <paramref name="file"/>, or resumes an upload of the same file cut off earlier.
    /// Returns the unsent attachment, whose blob the server now holds whole.</summary>
    public async Task<StoredAttachment> UploadFileAsync(FileInfo file, string? contentType, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(device.Store.AttachmentsDirectory);
        var blobs = new BlobTransfer(device.Server);
        string source = SourceOf(file);
        var unsent = device.Store.GetUnsentAttachments().FirstOrDefault(a => a.Source == source && a.LocalPath is { } local && File.Exists(local)
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
        return unsent;
    }

    /// <summary>After <paramref name="message"/>, which carries <paramref name="unsent"/>, was stored: its attachment takes the ciphertext over.</summary>
    public async Task AdoptAsync(StoredMessage message, StoredAttachment unsent)
    {
        // The message's attachment takes the ciphertext over as this device's local copy; the unsent record goes.
        using var transaction = await device.Store.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        var attachment = device.Store.GetAttachments(message.LocalId).FirstOrDefault();
        if (attachment is not null)
        {
            transaction.UpdateAttachment(attachment with { LocalPath = unsent.LocalPath });
        }
        transaction.DeleteAttachment(unsent.Id, keepFile: attachment is not null);
        transaction.Commit();
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
        string cipherPath = Path.Combine(device.Store.AttachmentsDirectory, AttachmentId.New() + ".bin");
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
                using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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

    public async Task ForgetUnsentAsync(AttachmentId id, bool keepFile)
    {
        using var transaction = await device.Store.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>Downloads (resuming a partial download), checks and decrypts an attachment into <paramref name="directory"/>
    /// under its file name (made safe and unique). Returns the plaintext file's path. Throws
    /// <see cref="AttachmentIntegrityException"/> when the ciphertext does not match the digest the sender signed.</summary>
    public async Task<string> DownloadAsync(StoredAttachment attachment, string directory, IProgress<TransferProgress>? progress,
        CancellationToken cancellationToken)
    {
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
    public async Task<string> LocalCiphertextAsync(StoredAttachment attachment, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        // One download of a file at a time: a second request for the same file (two tabs, a preview and a click) waits
        // and then finds the complete copy, instead of writing into the same partial file.
        using (await _fileLocks.LockAsync(attachment.Id, cancellationToken).ConfigureAwait(false))
        {
            return await LocalCiphertextLockedAsync(attachment, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private readonly KeyedLock<AttachmentId> _fileLocks = new();

    private async Task<string> LocalCiphertextLockedAsync(StoredAttachment attachment, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var reference = attachment.Reference;
        Directory.CreateDirectory(device.Store.AttachmentsDirectory);
        string cipherPath = attachment.LocalPath ?? Path.Combine(device.Store.AttachmentsDirectory, attachment.Id + ".bin");
        if (!File.Exists(cipherPath) || new FileInfo(cipherPath).Length != reference.CiphertextLength)
        {
            string partial = Path.Combine(device.Store.AttachmentsDirectory, attachment.Id + ".part");
            try
            {
                await using var destination = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous);
                if (destination.Length > reference.CiphertextLength)
                {
                    destination.SetLength(0);
                }
                await new BlobTransfer(device.Server).DownloadAsync(reference.BlobId, destination, reference.CiphertextLength,
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
            using var transaction = await device.Store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>A lock per key, held only while someone uses it (so the table does not grow with every file ever downloaded).</summary>
    private sealed class KeyedLock<TKey> where TKey : notnull
    {
        private readonly Dictionary<TKey, (SemaphoreSlim Gate, int Users)> _held = [];

        public async Task<IDisposable> LockAsync(TKey key, CancellationToken cancellationToken)
        {
            SemaphoreSlim gate;
            lock (_held)
            {
                var (existing, users) = _held.TryGetValue(key, out var entry) ? entry : (new SemaphoreSlim(1, 1), 0);
                gate = existing;
                _held[key] = (gate, users + 1);
            }
            try
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Leave(key);
                throw;
            }
            return new Release(this, key, gate);
        }

        private void Leave(TKey key)
        {
            lock (_held)
            {
                var (gate, users) = _held[key];
                if (users == 1)
                {
                    _held.Remove(key);
                    gate.Dispose();
                }
                else
                {
                    _held[key] = (gate, users - 1);
                }
            }
        }

        private sealed class Release(KeyedLock<TKey> owner, TKey key, SemaphoreSlim gate) : IDisposable
        {
            private int _done;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _done, 1) == 0)
                {
                    gate.Release();
                    owner.Leave(key);
                }
            }
        }
    }

    internal sealed class Progress(IProgress<TransferProgress>? target, TransferStage stage, long total) : IProgress<long>
    {
        public void Report(long value) => target?.Report(new TransferProgress(stage, value, total));
    }
}
