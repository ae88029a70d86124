using System.Data.Common;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Reports;

namespace Parley.Server.Storage.Shared;

/// <summary>Reports. Storing a report hands its evidence blobs to the report in the same write: they stop expiring and
/// stop belonging to the reporter's device.</summary>
internal sealed class SqlReportStore(SqlEngine engine) : IReportStore
{
    /// <summary>The owner recorded for a retained evidence blob: no device has this id, so nobody can delete it.</summary>
    internal const string EvidenceOwner = "report";

    /// <summary>Expiry of a retained evidence blob (the largest time a <see cref="DateTimeOffset"/> holds).</summary>
    internal static readonly long RetainedUntil = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private const string Select = """
        SELECT r.report_id, r.reporter_account, r.sender_account, r.sender_device, r.group_id, r.message_id, r.accepted_at,
               r.reported_at, r.reason, r.comment, r.envelope, r.stamp, r.open, r.resolution, ra.username, sa.username
        FROM reports r
        LEFT JOIN accounts ra ON ra.account_id = r.reporter_account
        LEFT JOIN accounts sa ON sa.account_id = r.sender_account
        """;

    public Task<CreateReportOutcome> CreateAsync(Report report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return engine.WriteOrRefuseAsync(default, async db =>
        {
            long now = Db.UnixSeconds(engine.Time.GetUtcNow());
            foreach (ReportAttachment attachment in report.Attachments)
            {
                int retained = await db.ExecuteAsync(
                    "UPDATE blobs SET device_id = $1, expires_at = $2 WHERE blob_key = $3 AND (expires_at > $4 OR device_id = $1)",
                    EvidenceOwner, RetainedUntil, attachment.EvidenceBlob.Key.Value, now);
                if (retained == 0)
                {
                    // Undoes the blobs retained so far.
                    throw new StoreRollback<CreateReportOutcome>(CreateReportOutcome.EvidenceGone);
                }
                await db.ExecuteAsync("INSERT INTO report_attachments (report_id, idx, blob_id, verified) VALUES ($1, $2, $3, $4)",
                    report.Id, attachment.Index, attachment.EvidenceBlob.Value, attachment.Verified);
            }
            await db.ExecuteAsync(
                """
                INSERT INTO reports (report_id, reporter_account, sender_account, sender_device, group_id, message_id, accepted_at,
                                     reported_at, reason, comment, envelope, stamp, open, resolution)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, TRUE, NULL)
                """,
                report.Id, report.Reporter.Value, report.SenderAccount.Value, report.SenderDevice.Value, report.GroupId.Value,
                report.MessageId, report.AcceptedAt.ToUnixTimeMilliseconds(), report.ReportedAt.ToUnixTimeMilliseconds(),
                report.Reason, report.Comment, report.Envelope, report.Stamp);
            return CreateReportOutcome.Created;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ReportView>> ListAsync(bool openOnly, int limit, CancellationToken cancellationToken)
        => engine.ReadAsync<IReadOnlyList<ReportView>>(async db =>
        {
            List<ReportView> reports = await db.QueryAsync(
                Select + (openOnly ? " WHERE r.open" : "") + " ORDER BY r.reported_at DESC, r.report_id LIMIT $1", Map, limit);
            var result = new List<ReportView>(reports.Count);
            foreach (ReportView report in reports)
            {
                result.Add(await WithAttachmentsAsync(db, report));
            }
            return result;
        }, cancellationToken);

    public Task<ReportView?> FindAsync(string id, CancellationToken cancellationToken)
        => engine.ReadAsync(async db =>
        {
            ReportView? found = await db.FirstAsync(Select + " WHERE r.report_id = $1", Map, id);
            return found is null ? null : await WithAttachmentsAsync(db, found);
        }, cancellationToken);

    public Task<bool> CloseAsync(string id, string resolution, CancellationToken cancellationToken)
        => engine.WriteAsync(async db => await db.ExecuteAsync(
            "UPDATE reports SET open = FALSE, resolution = $2, closed_at = $3 WHERE report_id = $1 AND open",
            id, resolution, Db.UnixSeconds(engine.Time.GetUtcNow())) > 0, cancellationToken);

    public Task<int> DeleteClosedAsync(DateTimeOffset closedBefore, CancellationToken cancellationToken)
        => engine.WriteAsync(async db =>
        {
            List<string> ids = await db.QueryAsync(
                "SELECT report_id FROM reports WHERE NOT open AND closed_at < $1 LIMIT 1000" + db.Dialect.ForUpdateSkipLocked,
                static r => r.GetString(0), Db.UnixSeconds(closedBefore));
            foreach (string id in ids)
            {
                List<BlobId> evidence = await db.QueryAsync(
                    "SELECT blob_id FROM report_attachments WHERE report_id = $1", static r => new BlobId(r.GetString(0)), id);
                foreach (BlobId blob in evidence)
                {
                    // Expired now: the blob sweep deletes the file and its row.
                    await db.ExecuteAsync("UPDATE blobs SET expires_at = 0 WHERE blob_key = $1 AND device_id = $2",
                        blob.Key.Value, EvidenceOwner);
                }
                await db.ExecuteAsync("DELETE FROM report_attachments WHERE report_id = $1", id);
                await db.ExecuteAsync("DELETE FROM reports WHERE report_id = $1", id);
            }
            return ids.Count;
        }, cancellationToken);

    private static ReportView Map(DbDataReader r)
        => new(new Report(r.GetString(0), new AccountId(r.GetString(1)), new AccountId(r.GetString(2)), new DeviceId(r.GetString(3)),
                new GroupId(r.GetString(4)), r.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)), r.GetString(8), r.GetString(9), (byte[])r[10], (byte[])r[11], [],
                r.GetBoolean(12), r.IsDBNull(13) ? null : r.GetString(13)),
            r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15));

    private static async ValueTask<ReportView> WithAttachmentsAsync(Db db, ReportView view)
    {
        List<ReportAttachment> attachments = await db.QueryAsync(
            "SELECT idx, blob_id, verified FROM report_attachments WHERE report_id = $1 ORDER BY idx",
            static r => new ReportAttachment(r.GetInt32(0), new BlobId(r.GetString(1)), r.GetBoolean(2)), view.Report.Id);
        return view with { Report = view.Report with { Attachments = attachments } };
    }
}
