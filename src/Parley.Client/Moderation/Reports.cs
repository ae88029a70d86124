// Abuse reports (docs/safety.md, "Reports"): a received message is proven to the server's operator by its
// envelope (revealing it and its franking key, nothing else) and the server's delivery stamp; a file by the
// ciphertext this device holds, uploaded again as evidence.
using System.Security.Cryptography;
using Parley.Client.Attachments;
using Parley.Client.Conversations;
using Parley.Client.Network;
using Parley.Content;

namespace Parley.Client.Moderation;

/// <summary>Builds the evidence of received messages and submits reports.</summary>
internal sealed class Reports(DeviceContext device, AttachmentTransfers attachments)
{
    /// <summary>The evidence that proves a received message to the server's operator. Throws a
    /// <see cref="ParleyClientException"/> saying why when the message cannot be reported.</summary>
    public ReportEvidence EvidenceOf(ConversationId conversation, string messageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var found = device.Store.GetConversation(conversation) ?? throw new ParleyClientException("The conversation no longer exists on this device.");
        var message = device.Store.FindMessage(conversation, messageId)
                      ?? throw new ParleyClientException(ClientError.MessageNotFound, found.DisplayName,
                          $"There is no message {messageId} in {found.DisplayName}.", detail: messageId);
        if (message.IsOutgoing)
        {
            throw new ParleyClientException("You can only report messages that other accounts sent.");
        }
        if (message.State.Deleted || message.Record?.Envelope is not { } envelope)
        {
            throw new ParleyClientException($"Message {messageId} was deleted, so it can no longer be reported.");
        }
        byte[] stored = device.Store.GetStamp(message)
                        ?? throw new ParleyClientException($"Message {messageId} arrived without the server's delivery stamp, so it cannot be reported.");
        var (stamp, proof) = SenderProof.Load(stored);
        return new ReportEvidence(found.GroupId, messageId, envelope, stamp, proof);
    }

    /// <summary>Reports a received message to the server's operator: sends the envelope (revealing it and its
    /// franking key, nothing else) with the server's stamp and, for a file, uploads the ciphertext this device
    /// holds (downloading it first if needed) as new evidence. The server refuses a report that does not match
    /// what the sender committed to.</summary>
    public async Task<ReportReceipt> ReportAsync(ConversationId conversation, string messageId, ReportReason reason, string? comment,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (comment is { Length: > ParleyClient.MaxReportComment })
        {
            throw new ParleyClientException($"A report's comment holds at most {ParleyClient.MaxReportComment} characters.");
        }
        var evidence = EvidenceOf(conversation, messageId);
        var message = device.Store.FindMessage(conversation, messageId)!;
        var attachments = new List<ReportAttachment>();
        if (message.Content is AttachmentContent)
        {
            foreach (var attachment in device.Store.GetAttachments(message.LocalId))
            {
                if (attachment.Reference.PlaintextDigest is null)
                {
                    throw new ParleyClientException($"The file in message {messageId} was sent by an older Parley that did not commit to its content, so it cannot be reported.");
                }
                string blobId = await UploadEvidenceAsync(attachment, progress, cancellationToken).ConfigureAwait(false);
                attachments.Add(new ReportAttachment(attachments.Count, blobId));
            }
        }
        var response = await device.Server.SubmitReportAsync(new ReportRequest(GroupIds.ToUrl(evidence.GroupId), evidence.MessageId, evidence.Envelope,
            evidence.Stamp, reason.ToString().ToLowerInvariant(), string.IsNullOrEmpty(comment) ? null : comment, attachments,
            evidence.SenderProof?.Encode()), cancellationToken).ConfigureAwait(false);
        return new ReportReceipt(response.ReportId, response.Verified, response.Sender);
    }

    // The ciphertext this device holds, uploaded as a new blob: the server never de-duplicates blobs, so the
    // evidence stays with the report whatever becomes of the original upload.
    private async Task<string> UploadEvidenceAsync(StoredAttachment attachment, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            string path = await attachments.LocalCiphertextAsync(attachment, progress, cancellationToken).ConfigureAwait(false);
            attachment = device.Store.GetAttachment(attachment.Id) ?? attachment;
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
            var blobs = new BlobTransfer(device.Server);
            var blob = await blobs.CreateAsync(source.Length, cancellationToken).ConfigureAwait(false);
            await blobs.UploadAsync(blob.BlobId, source, new AttachmentTransfers.Progress(progress, TransferStage.Uploading, source.Length), cancellationToken)
                .ConfigureAwait(false);
            return blob.BlobId;
        }
    }
}
