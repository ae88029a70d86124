namespace Parley.Server.Moderation;

/// <summary>A report as the operator's list shows it.</summary>
/// <param name="Verified">Whether the stored message still verifies against its stamp (recomputed on every read).</param>
/// <param name="Status">"open" or "closed".</param>
/// <param name="ReportId">The report's id.</param>
/// <param name="ReportedAt">When the report was made.</param>
/// <param name="Reason">"spam", "harassment", "illegal" or "other".</param>
/// <param name="Reporter">The reporting account's username (null if it no longer exists).</param>
/// <param name="Sender">The username of the account that sent the message (null if it no longer exists).</param>
public sealed record ReportSummary(string ReportId, DateTimeOffset ReportedAt, string Reason, string? Reporter, string? Sender,
    bool Verified, string Status);

/// <summary>Reports, newest first.</summary>
public sealed record ReportListResponse(IReadOnlyList<ReportSummary> Reports);

/// <summary>One attachment of a report: the evidence blob and whether it matched the sender's commitment.</summary>
public sealed record ReportAttachmentEntry(int Index, string EvidenceBlobId, bool Verified);

/// <summary>A report in full: the reported envelope (which the CLI decodes), who sent it from which device, when the
/// server accepted it, and its attachments.</summary>
public sealed record ReportDetails(
    string ReportId,
    DateTimeOffset ReportedAt,
    DateTimeOffset AcceptedAt,
    string Reason,
    string Comment,
    string? Reporter,
    string? Sender,
    string SenderDevice,
    string GroupId,
    string MessageId,
    byte[] Envelope,
    bool Verified,
    string Status,
    string? Resolution,
    IReadOnlyList<ReportAttachmentEntry> Attachments);

/// <summary>Closes a report.</summary>
public sealed record CloseReportRequest(string? Resolution);

/// <summary>Suspends an account.</summary>
public sealed record SuspendRequest(string? Reason);

/// <summary>One audit log entry; <see cref="Hash"/> chains it to the previous one (see <see cref="AuditChain"/>).</summary>
public sealed record AuditEntryResponse(long Sequence, DateTimeOffset At, string Action, string Target, string Reason, byte[] Hash);

/// <summary>A page of the audit log, oldest first.</summary>
public sealed record AuditLogResponse(IReadOnlyList<AuditEntryResponse> Entries);
