namespace Parley.Server.Reports;

/// <summary>One attachment of the reported message, with the blob the reporter uploaded its ciphertext to.</summary>
/// <param name="Index">The attachment's position in the message (0 for an attachment message).</param>
/// <param name="EvidenceBlobId">A blob the reporting device uploaded holding the attachment ciphertext it received.</param>
public sealed record ReportAttachmentRequest(int Index, string? EvidenceBlobId);

/// <summary>A report of one received message: the decrypted envelope (with its franking key) and the delivery
/// stamp that came with it.</summary>
/// <param name="Reason">"spam", "harassment", "illegal" or "other".</param>
/// <param name="GroupId">The group the message came in, in unpadded base64url.</param>
/// <param name="MessageId">The message's id.</param>
/// <param name="Envelope">The decrypted envelope, with its franking key.</param>
/// <param name="Stamp">The delivery stamp that came with the message.</param>
/// <param name="Comment">The reporter's own words, if any.</param>
/// <param name="Attachments">The message's attachments the reporter includes.</param>
/// <param name="SenderProof">For a message sent sealed (whose stamp names no sender): the sender's MLS signature over it, a
/// <c>SenderProof</c> (docs/safety.md, "Reports of sealed messages").</param>
public sealed record ReportRequest(
    string? GroupId,
    string? MessageId,
    byte[]? Envelope,
    byte[]? Stamp,
    string? Reason,
    string? Comment,
    IReadOnlyList<ReportAttachmentRequest>? Attachments,
    byte[]? SenderProof = null);

/// <summary>A stored, verified report.</summary>
/// <param name="Sender">The username of the account that sent the message (null if it no longer exists).</param>
/// <param name="ReportId">The report's id.</param>
/// <param name="Verified">Whether the message verified against its stamp.</param>
public sealed record ReportResponse(string ReportId, bool Verified, string? Sender);
