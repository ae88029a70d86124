using Microsoft.AspNetCore.Http.HttpResults;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Franking;
using Parley.Server.Http;
using Parley.Server.Reports;

namespace Parley.Server.Moderation;

/// <summary>The operator's endpoints (docs/safety.md): reports, suspensions and the audit log. Every one requires
/// a request signed by the operator key (<see cref="OperatorAuthentication"/>), and every action is appended to
/// the audit log.</summary>
public static class ModerationEndpoints
{
    /// <summary>Largest page of reports or audit entries.</summary>
    public const int MaxPage = 500;

    /// <summary>Longest reason or resolution, in characters.</summary>
    public const int MaxReasonLength = 1000;

    public static IEndpointRouteBuilder MapModerationEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // A malformed operator key stops the server here, at start-up.
        app.ServiceProvider.GetRequiredService<OperatorKey>();
        RouteGroupBuilder admin = app.MapGroup("/v1/admin").RequireAuthorization(OperatorAuthentication.PolicyName);
        admin.MapGet("/reports", ListReports).WithSummary("Lists reports (open ones unless status=all), newest first.");
        admin.MapGet("/reports/{id}", GetReport).WithSummary("Returns a report in full, with the reported envelope.");
        admin.MapGet("/reports/{id}/attachments/{index:int}", GetEvidence)
            .WithSummary("Returns the retained ciphertext of a reported attachment (the key is in the envelope).");
        admin.MapPost("/reports/{id}/close", CloseReport).WithSummary("Closes a report with a resolution.");
        admin.MapPost("/accounts/{username}/suspend", Suspend).WithSummary("Suspends an account: its devices are refused and disconnected.");
        admin.MapPost("/accounts/{username}/restore", Restore).WithSummary("Lifts an account's suspension.");
        admin.MapGet("/audit", ReadAudit).WithSummary("Returns the hash-chained audit log after a sequence number.");
        return app;
    }

    private static async Task<Results<Ok<ReportListResponse>, ProblemHttpResult>> ListReports(IReportStore reports,
        FrankingStamper stamper, CancellationToken cancellationToken, string status = "open", int limit = 100)
    {
        if (status is not ("open" or "all") || limit is < 1 or > MaxPage)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"'status' is open or all; 'limit' is between 1 and {MaxPage}.");
        }
        IReadOnlyList<ReportView> list = await reports.ListAsync(status == "open", limit, cancellationToken);
        return TypedResults.Ok(new ReportListResponse(list.Select(v => new ReportSummary(v.Report.Id, v.Report.ReportedAt, v.Report.Reason,
            v.ReporterUsername, v.SenderUsername, ReportVerification.Recheck(stamper, v.Report), StatusOf(v.Report))).ToList()));
    }

    private static async Task<Results<Ok<ReportDetails>, ProblemHttpResult>> GetReport(string id, IReportStore reports,
        FrankingStamper stamper, CancellationToken cancellationToken)
    {
        if (await reports.FindAsync(id, cancellationToken) is not { } view)
        {
            return ReportNotFound();
        }
        Report r = view.Report;
        return TypedResults.Ok(new ReportDetails(r.Id, r.ReportedAt, r.AcceptedAt, r.Reason, r.Comment, view.ReporterUsername,
            view.SenderUsername, r.SenderDevice.Value, r.GroupId.Value, r.MessageId, r.Envelope, ReportVerification.Recheck(stamper, r),
            StatusOf(r), r.Resolution,
            r.Attachments.Select(a => new ReportAttachmentEntry(a.Index, a.EvidenceBlob.Value, a.Verified)).ToList()));
    }

    private static async Task<IResult> GetEvidence(string id, int index, IReportStore reports, BlobFiles files,
        CancellationToken cancellationToken)
    {
        if (await reports.FindAsync(id, cancellationToken) is not { } view)
        {
            return ReportNotFound();
        }
        ReportAttachment? attachment = view.Report.Attachments.FirstOrDefault(a => a.Index == index);
        string? path = attachment is null ? null : files.PathOf(attachment.EvidenceBlob.Key);
        if (path is null || !File.Exists(path))
        {
            return Problem.NotFound(ProblemCodes.AttachmentNotFound, $"Report {id} holds no attachment {index}.");
        }
        return TypedResults.PhysicalFile(path, "application/octet-stream", enableRangeProcessing: true);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> CloseReport(string id, CloseReportRequest request,
        IReportStore reports, IAuditLog audit, CancellationToken cancellationToken)
    {
        string resolution = request.Resolution ?? "";
        if (resolution.Length > MaxReasonLength)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"A resolution has at most {MaxReasonLength} characters.");
        }
        if (!await reports.CloseAsync(id, resolution, cancellationToken))
        {
            return Problem.NotFound(ProblemCodes.ReportNotFound, $"There is no open report {id}.");
        }
        await audit.AppendAsync("report.close", id, resolution, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Suspend(string username, SuspendRequest request,
        IAccountStore accounts, ISuspensionStore suspensions, SuspendedAccounts suspended, IAuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        string reason = request.Reason ?? "";
        if (reason.Length > MaxReasonLength)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"A reason has at most {MaxReasonLength} characters.");
        }
        var (account, problem) = await FindAccountAsync(username, accounts, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (await suspensions.SuspendAsync(account!.Id, reason, time.GetUtcNow(), cancellationToken))
        {
            await audit.AppendAsync("account.suspend", account.Username.Value, reason, cancellationToken);
        }
        // Takes effect on this node before the answer (other nodes within SuspendedAccounts.RefreshInterval).
        await suspended.RefreshAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Restore(string username, IAccountStore accounts,
        ISuspensionStore suspensions, SuspendedAccounts suspended, IAuditLog audit, CancellationToken cancellationToken)
    {
        var (account, problem) = await FindAccountAsync(username, accounts, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (await suspensions.RestoreAsync(account!.Id, cancellationToken))
        {
            await audit.AppendAsync("account.restore", account.Username.Value, "", cancellationToken);
        }
        await suspended.RefreshAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AuditLogResponse>, ProblemHttpResult>> ReadAudit(IAuditLog audit,
        CancellationToken cancellationToken, long after = 0, int limit = 100)
    {
        if (after < 0 || limit is < 1 or > MaxPage)
        {
            return Problem.BadRequest(ProblemCodes.MalformedRequest, $"'after' is at least 0 and 'limit' between 1 and {MaxPage}.");
        }
        IReadOnlyList<AuditEntry> entries = await audit.ReadAsync(after, limit, cancellationToken);
        return TypedResults.Ok(new AuditLogResponse(entries.Select(e => new AuditEntryResponse(e.Sequence, e.At, e.Action, e.Target,
            e.Reason, e.Hash)).ToList()));
    }

    private static async Task<(Account?, ProblemHttpResult?)> FindAccountAsync(string username, IAccountStore accounts,
        CancellationToken cancellationToken)
    {
        if (!Username.TryParse(username, out Username name))
        {
            return (null, Problem.BadRequest(ProblemCodes.InvalidUsername, "That is not a valid username."));
        }
        Account? account = await accounts.FindByUsernameAsync(name, cancellationToken);
        return account is null ? (null, Problem.NotFound(ProblemCodes.AccountNotFound, $"There is no user called {name}.")) : (account, null);
    }

    private static string StatusOf(Report report) => report.Open ? "open" : "closed";

    private static ProblemHttpResult ReportNotFound() => Problem.NotFound(ProblemCodes.ReportNotFound, "There is no report with this id.");
}
