// Parley server protocol v1, abuse reports, blocking and the operator's moderation endpoints
// (docs/server-protocol.md, docs/safety.md): the JSON bodies.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Client.Network;

/// <summary>Evidence for one attachment of a reported message: the ciphertext the reporter holds, uploaded again as a new blob.</summary>
public sealed record ReportAttachment(int Index, string EvidenceBlobId);

/// <summary>POST /v1/reports: a received message revealed with its franking key, and the server's stamp of its delivery.</summary>
/// <param name="GroupId">The conversation's MLS group id, unpadded base64url.</param>
/// <param name="MessageId">The sender's message id.</param>
/// <param name="Envelope">The whole decrypted envelope, with its franking key.</param>
/// <param name="Stamp">The stamp the server delivered with the message.</param>
/// <param name="Reason">spam, harassment, illegal or other.</param>
/// <param name="Comment">What the reporter adds (up to 1000 characters).</param>
/// <param name="Attachments">Evidence blobs of the message's attachments.</param>
/// <param name="SenderProof">The sender's MLS signature over the message (a <c>SenderProof</c>), which names the sender of a
/// sealed send.</param>
public sealed record ReportRequest(string GroupId, string MessageId, byte[] Envelope, byte[] Stamp, string Reason, string? Comment,
    IReadOnlyList<ReportAttachment> Attachments, byte[]? SenderProof = null);

/// <summary>The server verified and stored the report.</summary>
public sealed record ReportResponse(string ReportId, bool Verified, string? Sender);

/// <summary>GET /v1/blocks: the accounts the caller's account blocks.</summary>
public sealed record BlockListResponse(IReadOnlyList<string> Blocked);

/// <summary>A report as the operator's list shows it (reporter and sender are null when the account no longer exists).</summary>
public sealed record AdminReportSummary(string ReportId, DateTimeOffset ReportedAt, string Reason, string? Reporter, string? Sender, bool Verified, string Status);

/// <summary>GET /v1/admin/reports.</summary>
public sealed record AdminReportList(IReadOnlyList<AdminReportSummary> Reports);

/// <summary>An attachment's evidence in a report, and whether it matched what the sender committed to.</summary>
public sealed record AdminReportAttachment(int Index, string EvidenceBlobId, bool Verified);

/// <summary>GET /v1/admin/reports/{id}: the whole report, with the envelope the operator decodes.</summary>
public sealed record AdminReport(
    string ReportId,
    string? Reporter,
    string? Sender,
    string? SenderDevice,
    string GroupId,
    string MessageId,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset ReportedAt,
    string Reason,
    string? Comment,
    byte[] Envelope,
    bool Verified,
    string Status,
    string? Resolution,
    IReadOnlyList<AdminReportAttachment> Attachments);

/// <summary>POST /v1/admin/reports/{id}/close.</summary>
public sealed record CloseReportRequest(string Resolution);

/// <summary>The reason an operator gives for a suspension or a takedown.</summary>
public sealed record OperatorReasonRequest(string Reason);

/// <summary>One entry of the operator's audit log.</summary>
public sealed record AuditEntryResponse(long Sequence, DateTimeOffset At, string Action, string Target, string Reason, byte[] Hash);

/// <summary>GET /v1/admin/audit.</summary>
public sealed record AuditLogResponse(IReadOnlyList<AuditEntryResponse> Entries);

/// <summary>Source-generated JSON of the safety endpoints (camelCase, byte arrays as base64).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReportRequest))]
[JsonSerializable(typeof(ReportResponse))]
[JsonSerializable(typeof(BlockListResponse))]
[JsonSerializable(typeof(AdminReportList))]
[JsonSerializable(typeof(AdminReport))]
[JsonSerializable(typeof(CloseReportRequest))]
[JsonSerializable(typeof(OperatorReasonRequest))]
[JsonSerializable(typeof(AuditLogResponse))]
internal sealed partial class SafetyJsonContext : JsonSerializerContext;
