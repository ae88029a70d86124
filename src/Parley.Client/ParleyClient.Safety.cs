// Abuse reports and blocking (docs/safety.md, docs/client-envelope.md §1 "Franking"): every application
// message this device sends is franked; every one it shows passed the franking check and is kept with the
// server's delivery stamp, so it can be reported (Moderation/Reports.cs); messages of blocked accounts are
// hidden (Moderation/BlockList.cs).
using Parley.Client.Conversations;
using Parley.Client.Messages;
using Parley.Content;

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
/// <param name="GroupId">The conversation's MLS group id.</param>
/// <param name="MessageId">The message's id.</param>
/// <param name="Envelope">The envelope exactly as decrypted, with its franking key.</param>
/// <param name="Stamp">The server's delivery stamp.</param>
/// <param name="SenderProof">The sender's MLS signature over the message, which names the sender of a sealed send.</param>
public sealed record ReportEvidence(byte[] GroupId, string MessageId, byte[] Envelope, byte[] Stamp, SenderProof? SenderProof = null);

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
    public ReportEvidence ReportEvidenceOf(ConversationId conversation, string messageId) => _reports.EvidenceOf(conversation, messageId);

    /// <summary>Reports a received message to the server's operator: sends the envelope (revealing it and its
    /// franking key, nothing else) with the server's stamp and, for a file, uploads the ciphertext this device
    /// holds (downloading it first if needed) as new evidence. The server refuses a report that does not match
    /// what the sender committed to.</summary>
    public Task<ReportReceipt> ReportAsync(ConversationId conversation, string messageId, ReportReason reason, string? comment = null,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
        => _reports.ReportAsync(conversation, messageId, reason, comment, progress, cancellationToken);

    // ---- Blocking -----------------------------------------------------------------------------

    /// <summary>Blocks an account: the server stops delivering its 1:1 messages and invitations to this account
    /// (without telling it), and this device hides its messages everywhere.</summary>
    public Task BlockAsync(string username, CancellationToken cancellationToken = default) => _blocks.BlockAsync(username, cancellationToken);

    /// <summary>Unblocks an account: its new messages are delivered and shown again.</summary>
    public Task UnblockAsync(string username, CancellationToken cancellationToken = default) => _blocks.UnblockAsync(username, cancellationToken);

    /// <summary>The accounts this account blocks, as the server keeps them; this device's list is brought in line
    /// (blocks made on the account's other devices).</summary>
    public Task<IReadOnlyList<string>> BlocksAsync(CancellationToken cancellationToken = default) => _blocks.ListAsync(cancellationToken);

    /// <summary>True when this device hides <paramref name="username"/>'s messages.</summary>
    public bool IsBlocked(string? username) => _blocks.Contains(username);

    /// <summary>The messages to show: all but those from blocked accounts.</summary>
    private IReadOnlyList<StoredMessage> WithoutBlocked(IReadOnlyList<StoredMessage> messages) => _blocks.Without(messages);
}
