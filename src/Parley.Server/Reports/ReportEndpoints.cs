using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Parley.Content;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Delivery;
using Parley.Server.Devices;
using Parley.Server.Franking;
using Parley.Server.Groups;
using Parley.Server.Http;

namespace Parley.Server.Reports;

/// <summary>Reporting a received message to the operator (docs/safety.md, "What a report proves").</summary>
public static class ReportEndpoints
{
    /// <summary>The reasons a report may give.</summary>
    public static readonly IReadOnlySet<string> Reasons = new HashSet<string>(StringComparer.Ordinal) { "spam", "harassment", "illegal", "other" };

    /// <summary>Longest comment, in characters.</summary>
    public const int MaxCommentLength = 1000;

    /// <summary>Most attachments one report may name.</summary>
    public const int MaxAttachments = 16;

    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/reports", Create).RequireAuthorization()
            .WithSummary("Reports a received franked message (with its stamp and franking key) to the operator.");
        return app;
    }

    private static async Task<Results<Created<ReportResponse>, ProblemHttpResult>> Create(
        ReportRequest request, ClaimsPrincipal user, FrankingStamper stamper, IReportStore reports, IAccountStore accounts,
        IDeviceStore devices, IBlobStore blobs, BlobFiles files, TimeProvider time, IOptions<ParleyServerOptions> options, CancellationToken cancellationToken)
    {
        var (device, account) = DevicePrincipal.Of(user);
        if (!GroupId.TryParse(request.GroupId, out GroupId group))
        {
            return Problem.BadRequest(ProblemCodes.InvalidGroupId, "A group id is 1 to 64 bytes in unpadded base64url.");
        }
        if (!MessageIdRules.IsValid(request.MessageId))
        {
            return Problem.BadRequest(ProblemCodes.InvalidMessageId, "Name the reported message by the id it was delivered under.");
        }
        if (request.Envelope is not { Length: > 0 } envelope || envelope.Length > options.Value.MaxMessageBytes
            || request.Stamp is not { Length: > 0 } stampBytes || stampBytes.Length > 4096)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest,
                "Send the decrypted envelope (with its franking key) and the stamp the message was delivered with.");
        }
        if (request.Reason is null || !Reasons.Contains(request.Reason))
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, "The reason is one of spam, harassment, illegal or other.");
        }
        string comment = request.Comment ?? "";
        if (comment.Length > MaxCommentLength)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"A comment has at most {MaxCommentLength} characters.");
        }
        IReadOnlyList<ReportAttachmentRequest> named = request.Attachments ?? [];
        if (named.Count > MaxAttachments || named.Select(a => a.Index).Distinct().Count() != named.Count
            || named.Any(a => !BlobId.TryParse(a.EvidenceBlobId, out _)))
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest,
                "Each attachment names its index once and the id of a blob holding its ciphertext.");
        }

        var (stamp, refusal) = ReportVerification.VerifyMessage(stamper, device, group, request.MessageId!, envelope, stampBytes);
        if (stamp is null)
        {
            return Refused(refusal!);
        }
        var (senderAccount, senderDevice) = (stamp.SenderAccount, stamp.SenderDevice);
        if (stamp.SenderUnnamed)
        {
            // A sealed send: the stamp names nobody, the sender's signature over the content does.
            if (await ReportVerification.VerifySenderAsync(devices, group, envelope, request.SenderProof, cancellationToken) is not { } signer)
            {
                return Refused("the message was sent sealed, and its sender's signature over it does not verify");
            }
            (senderAccount, senderDevice) = (signer.AccountId, signer.Id);
        }

        var attachments = new List<ReportAttachment>(named.Count);
        if (named.Count > 0)
        {
            AttachmentReference? reference = null;
            try
            {
                reference = (ContentEnvelope.Decode(envelope).Content as AttachmentContent)?.Attachment;
            }
            catch (EnvelopeFormatException)
            {
                // Refused below, like a message without attachments.
            }
            DateTimeOffset now = time.GetUtcNow();
            foreach (ReportAttachmentRequest attachment in named)
            {
                // A content envelope carries at most one attachment, at index 0.
                if (reference is null || attachment.Index != 0)
                {
                    return Refused($"the message has no attachment {attachment.Index}");
                }
                BlobId.TryParse(attachment.EvidenceBlobId, out BlobId evidence);
                BlobRecord? blob = await blobs.FindAsync(evidence.Key, now, cancellationToken);
                if (blob is null || !blob.Complete || blob.Uploader != device)
                {
                    return Refused("upload the attachment ciphertext you received as a new blob from this device, then name it");
                }
                if (await ReportVerification.VerifyAttachmentAsync(reference, files.PathOf(evidence.Key), cancellationToken) is { } mismatch)
                {
                    return Refused(mismatch);
                }
                attachments.Add(new ReportAttachment(attachment.Index, evidence, Verified: true));
            }
        }

        var report = new Report(NewReportId(), account, senderAccount, senderDevice, group, stamp.MessageId, stamp.AcceptedAt,
            time.GetUtcNow(), request.Reason, comment, envelope, stampBytes, attachments);
        if (await reports.CreateAsync(report, cancellationToken) == CreateReportOutcome.EvidenceGone)
        {
            return Refused("the evidence blob expired or was deleted while the report was checked; upload it again");
        }
        Account? sender = await accounts.FindByIdAsync(senderAccount, cancellationToken);
        return TypedResults.Created($"/v1/admin/reports/{report.Id}", new ReportResponse(report.Id, true, sender?.Username.Value));
    }

    private static ProblemHttpResult Refused(string why)
        => Problem.Unprocessable(ProblemCodes.InvalidReport, $"The report was refused: {why}.");

    private static string NewReportId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
