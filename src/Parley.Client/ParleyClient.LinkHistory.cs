// History for linked devices (docs/device-linking.md, "History"): the approving device writes its history in the
// backup format without the account key, sealed under a fresh link key, and leaves it in a server blob; the approval
// carries the blob id, the key and the size to the new device inside its HPKE ciphertext. The new device fetches the
// blob, deletes it from the server, checks the whole bundle, and only then imports it.
using System.Security.Cryptography;
using Parley.Client.Accounts;
using Parley.Client.Backup;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client;

/// <summary>The steps of sending or receiving a linked device's history.</summary>
public enum HistoryStage
{
    /// <summary>The approving device writes and encrypts its history (messages).</summary>
    Packing,

    /// <summary>The approving device uploads the bundle (bytes).</summary>
    Uploading,

    /// <summary>The new device downloads the bundle (bytes).</summary>
    Downloading,

    /// <summary>The new device authenticates and decodes every part of the bundle before it writes anything (messages).</summary>
    Checking,

    /// <summary>The new device writes the history into its store (messages).</summary>
    Importing,
}

/// <summary>Progress of a linked device's history: <paramref name="Done"/> of <paramref name="Total"/> (messages or
/// bytes, as <paramref name="Stage"/> says).</summary>
/// <param name="Stage">The step.</param>
/// <param name="Done">Done so far.</param>
/// <param name="Total">In all.</param>
public readonly record struct HistoryProgress(HistoryStage Stage, long Done, long Total);

/// <summary>What a new device took from the history its approving device sent.</summary>
/// <param name="Conversations">Conversations (1:1 chats, groups and channels).</param>
/// <param name="Messages">Messages.</param>
/// <param name="From">The approving device.</param>
public sealed record LinkedHistory(int Conversations, long Messages, string From);

public sealed partial class ParleyClient
{
    private LinkHistory? _pendingHistory;

    /// <summary>Whether the approval that linked this device carries history it has not fetched yet
    /// (<see cref="ReceiveLinkHistoryAsync"/>).</summary>
    public bool HasLinkHistory => Volatile.Read(ref _pendingHistory) is not null;

    /// <summary>Approves a new device's link code and, with <paramref name="withHistory"/>, sends it this device's
    /// history first: contacts, blocks, conversations, messages and channel memberships, encrypted under a fresh key
    /// into a server blob. Returns the approval code, which carries the account key and the history's blob id and key,
    /// sealed to the link code's one-time key.</summary>
    public async Task<string> ApproveDeviceAsync(string linkCode, bool withHistory = true, IProgress<HistoryProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var code = LinkCode.Parse(linkCode);
        _ = Identity.AccountKey ?? throw new ParleyClientException("This device does not hold the account key, so it cannot approve devices.");
        var history = withHistory ? await SendLinkHistoryAsync(progress, cancellationToken).ConfigureAwait(false) : null;
        try
        {
            return SealApproval(code, history);
        }
        finally
        {
            history?.Wipe();
        }
    }

    private async Task<LinkHistory> SendLinkHistoryAsync(IProgress<HistoryProgress>? progress, CancellationToken cancellationToken)
    {
        string file = HistoryFilePath("partial");
        using var key = BackupKey.Generate();
        var secret = BackupSecret.ForLinkHistory(key);
        try
        {
            using (await LockAsync(cancellationToken).ConfigureAwait(false))
            {
                var packing = new HistoryReporter(progress, HistoryStage.Packing);
                await Task.Run(() => BackupFile.WriteAtomically(file, output =>
                {
                    using var writer = BackupWriter.Create(output, secret);
                    var manifest = BackupContents.Write(_store, writer, packing, cancellationToken, linkHistory: true);
                    writer.Complete();
                    return manifest;
                }), cancellationToken).ConfigureAwait(false);
            }
            long size = new FileInfo(file).Length;
            var blobs = new BlobTransfer(_server);
            CreateBlobResponse blob;
            try
            {
                blob = await blobs.CreateAsync(size, cancellationToken).ConfigureAwait(false);
            }
            catch (ServerProblemException e) when (e.Code == "blob_too_large")
            {
                throw new ParleyClientException(
                    $"This device's history ({ByteCount.Format(size)}) is larger than the server takes in one file; approve the device without its history.", e);
            }
            try
            {
                await using var ciphertext = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
                await blobs.UploadAsync(blob.BlobId, ciphertext, new HistoryReporter(progress, HistoryStage.Uploading, size), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch
            {
                await DeleteHistoryBlobAsync(blob.BlobId).ConfigureAwait(false);
                throw;
            }
            return new LinkHistory(blob.BlobId, key.Bytes.ToArray(), size);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private string SealApproval(LinkCode code, LinkHistory? history)
    {
        var accountKey = Identity.AccountKey ?? throw new ParleyClientException("This device does not hold the account key, so it cannot approve devices.");
        byte[] seed = accountKey.ExportPrivateKey();
        try
        {
            return new LinkApproval(Username, seed, Server, history).Seal(code);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Fetches the history the approving device sent (when its approval carried one; null otherwise), deletes
    /// it from the server, checks the whole bundle — every part authenticates under the key the approval carried, every
    /// record decodes, and it is this account's on this server — and only then writes it into the store in one
    /// transaction. Each conversation reads as one this device left until another device of the account adds it on
    /// its next sync. Throws <see cref="BackupFormatException"/> for a bad, cut short, changed or foreign bundle, with
    /// nothing written. Call it right after linking, before the first sync.</summary>
    public async Task<LinkedHistory?> ReceiveLinkHistoryAsync(IProgress<HistoryProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _pendingHistory, null) is not { } history)
        {
            return null;
        }
        string file = HistoryFilePath("bundle");
        using var key = BackupKey.FromBytes(history.Key);
        history.Wipe();
        var secret = BackupSecret.ForLinkHistory(key);
        try
        {
            using (await LockAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_store.Conversations.Count > 0)
                {
                    throw new ParleyClientException("This device has conversations already; a linked device takes its history only before its first sync.");
                }
                await FetchHistoryAsync(history, file, progress, cancellationToken).ConfigureAwait(false);
                return await Task.Run(() => ImportHistory(file, secret, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (BackupFormatException e)
        {
            throw new BackupFormatException(e.Problem, "The history from your other device was refused: " + e.Message, e);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // Downloads the blob (at most the size the approval names), then deletes it from the server whatever its contents.
    private async Task FetchHistoryAsync(LinkHistory history, string file, IProgress<HistoryProgress>? progress, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            await using var destination = new FileStream(file, options);
            await new BlobTransfer(_server).DownloadAsync(history.BlobId, destination, history.Size,
                new HistoryReporter(progress, HistoryStage.Downloading, history.Size), cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Code == "blob_not_found")
        {
            throw new BackupFormatException(BackupProblem.Damaged,
                "it is no longer on the server (it expired, or was fetched already); approve this device again to send it.", e);
        }
        catch (ServerProblemException e) when (e.Code == "blob_too_long")
        {
            throw new BackupFormatException("the server sent more bytes than the approval names.", e);
        }
        finally
        {
            await DeleteHistoryBlobAsync(history.BlobId).ConfigureAwait(false);
        }
    }

    // The blob is of no more use to anyone once fetched; if the server cannot be reached, it expires by itself.
    private async Task DeleteHistoryBlobAsync(string blobId)
    {
        try
        {
            await new BlobTransfer(_server).DeleteAsync(blobId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerProblemException or ServerUnavailableException or HttpRequestException or IOException)
        {
        }
    }

    private LinkedHistory ImportHistory(string file, BackupSecret secret, IProgress<HistoryProgress>? progress, CancellationToken cancellationToken)
    {
        var identity = Identity;
        int conversations = 0;
        var (manifest, _) = BackupContents.ReadFile(file, secret, item => conversations += item is BackupItem.ConversationItem ? 1 : 0,
            new HistoryReporter(progress, HistoryStage.Checking), cancellationToken);
        if (!SameServer(manifest.Server, Server) || manifest.Account != identity.AccountName
            || !manifest.AccountPublicKey.AsSpan().SequenceEqual(identity.AccountIdentityPublicKey))
        {
            throw new BackupFormatException($"it is of {manifest.Account} on {manifest.Server}, not of this account.");
        }
        BackupImport.Apply(_store, file, secret, groupId => _leaf.CreateGroup(groupId, _groupOptions), new HistoryReporter(progress, HistoryStage.Importing),
            cancellationToken);
        return new LinkedHistory(conversations, manifest.Messages, manifest.DeviceId);
    }

    // Reports a step's progress as it happens, on the thread doing the work (the caller's IProgress decides where it goes).
    private sealed class HistoryReporter(IProgress<HistoryProgress>? target, HistoryStage stage, long bytes = 0) : IProgress<BackupProgress>, IProgress<long>
    {
        public void Report(BackupProgress value) => target?.Report(new(stage, value.Messages, value.TotalMessages));

        public void Report(long value) => target?.Report(new(stage, value, bytes));
    }

    // A file beside the store, owner-only while it exists; it holds ciphertext only.
    private string HistoryFilePath(string kind)
        => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_store.Path))!, $".link-history-{Guid.NewGuid():N}.{kind}");
}
