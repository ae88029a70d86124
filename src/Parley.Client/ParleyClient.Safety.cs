// Abuse reports and blocking (docs/safety.md, docs/client-envelope.md §1 "Franking"): every application
// message this device sends is franked; every one it shows passed the franking check and is kept with the
// server's delivery stamp, so it can be reported; messages of blocked accounts are hidden.
using System.Security.Cryptography;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Identity;
using Parley.Client.Messages;
using Parley.Client.Network;
using Parley.Client.Storage;
using Parley.Client.Sync;
using Parley.Content;
using Parley.Mls.Group;

namespace Parley.Client;

/// <summary>Why a message is reported.</summary>
public enum ReportReason
{
    Spam,
    Harassment,
    Illegal,
    Other,
}

/// <summary>The server accepted a report: its id, whether the message verified, and the account that sent it (null
/// when that account no longer exists).</summary>
public sealed record ReportReceipt(string ReportId, bool Verified, string? Sender);

/// <summary>What proves a received message: the conversation's group id, the message id, the envelope exactly as
/// decrypted (with its franking key) and the server's delivery stamp.</summary>
public sealed record ReportEvidence(byte[] GroupId, string MessageId, byte[] Envelope, byte[] Stamp);

public sealed partial class ParleyClient
{
    /// <summary>The longest comment a report may carry, in characters.</summary>
    public const int MaxReportComment = 1000;

    // ---- Franking -----------------------------------------------------------------------------

    /// <summary>A new envelope for <paramref name="content"/> with a fresh franking key, its bytes, and the MLS
    /// authenticated_data that commits to them.</summary>
    private (ContentEnvelope Envelope, byte[] Bytes, byte[] Aad) Frank(MessageContent content)
    {
        var envelope = new ContentEnvelope(ContentEnvelope.NewMessageId(), Now, content, Franking.NewKey());
        byte[] bytes = envelope.Encode();
        return (envelope, bytes, Franking.AadFor(bytes));
    }

    // ---- Reports ------------------------------------------------------------------------------

    /// <summary>The evidence that proves a received message to the server's operator. Throws a
    /// <see cref="ParleyClientException"/> saying why when the message cannot be reported.</summary>
    public ReportEvidence ReportEvidenceOf(ConversationId conversation, string messageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var found = _store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
        var message = _store.FindMessage(conversation, messageId)
                      ?? throw new ParleyClientException($"There is no message {messageId} in {found.DisplayName}; see `parley history {found.DisplayName} --ids`.");
        if (message.IsOutgoing)
        {
            throw new ParleyClientException("You can only report messages that other accounts sent.");
        }
        if (message.State.Deleted || message.Record?.Envelope is not { } envelope)
        {
            throw new ParleyClientException($"Message {messageId} was deleted, so it can no longer be reported.");
        }
        byte[] stamp = _store.GetStamp(message)
                       ?? throw new ParleyClientException($"Message {messageId} arrived without the server's delivery stamp, so it cannot be reported.");
        return new ReportEvidence(found.GroupId, messageId, envelope, stamp);
    }

    /// <summary>Reports a received message to the server's operator: sends the envelope (revealing it and its
    /// franking key, nothing else) with the server's stamp and, for a file, uploads the ciphertext this device
    /// holds (downloading it first if needed) as new evidence. The server refuses a report that does not match
    /// what the sender committed to.</summary>
    public async Task<ReportReceipt> ReportAsync(ConversationId conversation, string messageId, ReportReason reason, string? comment = null,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (comment is { Length: > MaxReportComment })
        {
            throw new ParleyClientException($"A report's comment holds at most {MaxReportComment} characters.");
        }
        var evidence = ReportEvidenceOf(conversation, messageId);
        var message = _store.FindMessage(conversation, messageId)!;
        var attachments = new List<ReportAttachment>();
        if (message.Content is AttachmentContent)
        {
            foreach (var attachment in _store.GetAttachments(message.LocalId))
            {
                if (attachment.Reference.PlaintextDigest is null)
                {
                    throw new ParleyClientException($"The file in message {messageId} was sent by an older Parley that did not commit to its content, so it cannot be reported.");
                }
                string blobId = await UploadEvidenceAsync(attachment, progress, cancellationToken).ConfigureAwait(false);
                attachments.Add(new ReportAttachment(attachments.Count, blobId));
            }
        }
        var response = await _server.SubmitReportAsync(new ReportRequest(GroupIds.ToUrl(evidence.GroupId), evidence.MessageId, evidence.Envelope,
            evidence.Stamp, reason.ToString().ToLowerInvariant(), string.IsNullOrEmpty(comment) ? null : comment, attachments), cancellationToken).ConfigureAwait(false);
        return new ReportReceipt(response.ReportId, response.Verified, response.Sender);
    }

    // The ciphertext this device holds, uploaded as a new blob: the server never de-duplicates blobs, so the
    // evidence stays with the report whatever becomes of the original upload.
    private async Task<string> UploadEvidenceAsync(StoredAttachment attachment, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            string path = await _attachments.LocalCiphertextAsync(attachment, progress, cancellationToken).ConfigureAwait(false);
            attachment = _store.GetAttachment(attachment.Id) ?? attachment;
            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
            byte[] digest = await SHA256.HashDataAsync(source, cancellationToken).ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(digest, attachment.Reference.Digest))
            {
                // A damaged local copy: fetch it again once.
                await source.DisposeAsync().ConfigureAwait(false);
                File.Delete(path);
                if (attempt == 0)
                {
                    continue;
                }
                throw new ParleyClientException("The file's ciphertext does not match the message's digest, so it cannot be reported.");
            }
            var blobs = new BlobTransfer(_server);
            var blob = await blobs.CreateAsync(source.Length, cancellationToken).ConfigureAwait(false);
            await blobs.UploadAsync(blob.BlobId, source, new AttachmentTransfers.Progress(progress, TransferStage.Uploading, source.Length), cancellationToken)
                .ConfigureAwait(false);
            return blob.BlobId;
        }
    }

    // ---- Blocking -----------------------------------------------------------------------------

    /// <summary>Blocks an account: the server stops delivering its 1:1 messages and invitations to this account
    /// (without telling it), and this device hides its messages everywhere.</summary>
    public async Task BlockAsync(string username, CancellationToken cancellationToken = default)
    {
        string name = BlockName(username);
        if (name == Username)
        {
            throw new ParleyClientException("You cannot block your own account.");
        }
        try
        {
            await _server.BlockAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Status == 404)
        {
            throw new ParleyClientException($"There is no account named {name} on {Server}.", e);
        }
        await SetBlockedLocallyAsync(name, true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unblocks an account: its new messages are delivered and shown again.</summary>
    public async Task UnblockAsync(string username, CancellationToken cancellationToken = default)
    {
        string name = BlockName(username);
        try
        {
            await _server.UnblockAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerProblemException e) when (e.Status == 404)
        {
            // Not blocked on the server (or no such account): only the local list changes.
        }
        await SetBlockedLocallyAsync(name, false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The accounts this account blocks, as the server keeps them; this device's list is brought in line
    /// (blocks made on the account's other devices).</summary>
    public async Task<IReadOnlyList<string>> BlocksAsync(CancellationToken cancellationToken = default)
    {
        var onServer = await FetchBlocksAsync(cancellationToken).ConfigureAwait(false);
        return onServer.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>At the start of a sync: brings this device's block list in line with the account's (blocks made
    /// on its other devices) with one request. The block list must never stop messages from arriving, so when the
    /// server cannot answer the local list stays as it is until the next sync.</summary>
    private async Task RefreshBlocksAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FetchBlocksAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerUnavailableException or ServerProblemException)
        {
            // Keep the local list; the mailbox request that follows reports a server that is really away.
        }
    }

    // GET /v1/blocks, saved as this device's list; returns it.
    private async Task<HashSet<string>> FetchBlocksAsync(CancellationToken cancellationToken)
    {
        var onServer = (await _server.GetBlocksAsync(cancellationToken).ConfigureAwait(false)).Select(BlockName).ToHashSet(StringComparer.Ordinal);
        var local = _blocks.Current;
        if (!onServer.SetEquals(local))
        {
            using var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (string name in onServer.Except(local))
            {
                transaction.SetBlocked(name, true);
            }
            foreach (string name in local.Except(onServer))
            {
                transaction.SetBlocked(name, false);
            }
            transaction.Commit();
            _blocks.Replace(onServer);
        }
        return onServer;
    }

    /// <summary>True when this device hides <paramref name="username"/>'s messages.</summary>
    public bool IsBlocked(string? username) => _blocks.Contains(username);

    /// <summary>The messages to show: all but those from blocked accounts.</summary>
    private IReadOnlyList<StoredMessage> WithoutBlocked(IReadOnlyList<StoredMessage> messages) => _blocks.Without(messages);

    private async Task SetBlockedLocallyAsync(string name, bool blocked, CancellationToken cancellationToken)
    {
        using (var transaction = await _store.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            transaction.SetBlocked(name, blocked);
            transaction.Commit();
        }
        _blocks.Set(name, blocked);
    }

    private static string BlockName(string username)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(username);
        return CheckUsername(username);
    }
}
