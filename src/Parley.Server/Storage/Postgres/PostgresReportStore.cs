using Npgsql;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Reports;
using Parley.Server.Storage.Shared;
using Parley.Server.Storage.Sqlite;

namespace Parley.Server.Storage.Postgres;

/// <summary>Reports in PostgreSQL. Storing a report hands its evidence blobs to the report in the same
/// transaction: they stop expiring and stop belonging to the reporter's device.</summary>
internal sealed class PostgresReportStore(PostgresDatabase database) : IReportStore
{
    private const string Select = """
        SELECT r.report_id, r.reporter_account, r.sender_account, r.sender_device, r.group_id, r.message_id, r.accepted_at,
               r.reported_at, r.reason, r.comment, r.envelope, r.stamp, r.open, r.resolution, ra.username, sa.username
        FROM reports r
        LEFT JOIN accounts ra ON ra.account_id = r.reporter_account
        LEFT JOIN accounts sa ON sa.account_id = r.sender_account
        """;

    public async Task<CreateReportOutcome> CreateAsync(Report report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        try
        {
            return await database.Writer.ExecuteAsync(async (connection, ct) =>
            {
                long now = Pg.UnixSeconds(database.Time.GetUtcNow());
                foreach (ReportAttachment attachment in report.Attachments)
                {
                    int retained = await connection.ExecuteAsync(
                        "UPDATE blobs SET device_id = $1, expires_at = $2 WHERE blob_key = $3 AND (expires_at > $4 OR device_id = $1)",
                        [SqliteReportStore.EvidenceOwner, SqliteReportStore.RetainedUntil, attachment.EvidenceBlob.Key.Value, now], ct);
                    if (retained == 0)
                    {
                        throw new StoreRollback<CreateReportOutcome>(CreateReportOutcome.EvidenceGone);
                    }
                    await connection.ExecuteAsync(
                        "INSERT INTO report_attachments (report_id, idx, blob_id, verified) VALUES ($1, $2, $3, $4)",
                        [report.Id, attachment.Index, attachment.EvidenceBlob.Value, attachment.Verified], ct);
                }
                await connection.ExecuteAsync(
                    """
                    INSERT INTO reports (report_id, reporter_account, sender_account, sender_device, group_id, message_id, accepted_at,
                                         reported_at, reason, comment, envelope, stamp, open, resolution)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, true, NULL)
                    """,
                    [report.Id, report.Reporter.Value, report.SenderAccount.Value, report.SenderDevice.Value, report.GroupId.Value,
                        report.MessageId, report.AcceptedAt.ToUnixTimeMilliseconds(), report.ReportedAt.ToUnixTimeMilliseconds(),
                        report.Reason, report.Comment, report.Envelope, report.Stamp], ct);
                return CreateReportOutcome.Created;
            }, cancellationToken);
        }
        catch (StoreRollback<CreateReportOutcome> rollback)
        {
            return rollback.Outcome;
        }
    }

    public async Task<IReadOnlyList<ReportView>> ListAsync(bool openOnly, int limit, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        List<ReportView> reports = await connection.QueryAsync(
            Select + (openOnly ? " WHERE r.open" : "") + " ORDER BY r.reported_at DESC, r.report_id LIMIT $1", [limit], Map,
            cancellationToken);
        var result = new List<ReportView>(reports.Count);
        foreach (ReportView report in reports)
        {
            result.Add(await WithAttachmentsAsync(connection, report, cancellationToken));
        }
        return result;
    }

    public async Task<ReportView?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenReadAsync(cancellationToken);
        ReportView? found = (await connection.QueryAsync(Select + " WHERE r.report_id = $1", [id], Map, cancellationToken)).FirstOrDefault();
        return found is null ? null : await WithAttachmentsAsync(connection, found, cancellationToken);
    }

    public Task<bool> CloseAsync(string id, string resolution, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) => await connection.ExecuteAsync(
            "UPDATE reports SET open = false, resolution = $2, closed_at = $3 WHERE report_id = $1 AND open",
            [id, resolution, Pg.UnixSeconds(database.Time.GetUtcNow())], ct) > 0,
            cancellationToken);

    public Task<int> DeleteClosedAsync(DateTimeOffset closedBefore, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(async (connection, ct) =>
        {
            List<string> ids = await connection.QueryAsync(
                "SELECT report_id FROM reports WHERE NOT open AND closed_at < $1 LIMIT 1000 FOR UPDATE SKIP LOCKED",
                [Pg.UnixSeconds(closedBefore)], static r => r.GetString(0), ct);
            foreach (string id in ids)
            {
                List<BlobId> evidence = await connection.QueryAsync(
                    "SELECT blob_id FROM report_attachments WHERE report_id = $1", [id], static r => new BlobId(r.GetString(0)), ct);
                foreach (BlobId blob in evidence)
                {
                    // Expired now: the blob sweep deletes the file and its row.
                    await connection.ExecuteAsync("UPDATE blobs SET expires_at = 0 WHERE blob_key = $1 AND device_id = $2",
                        [blob.Key.Value, SqliteReportStore.EvidenceOwner], ct);
                }
                await connection.ExecuteAsync("DELETE FROM report_attachments WHERE report_id = $1", [id], ct);
                await connection.ExecuteAsync("DELETE FROM reports WHERE report_id = $1", [id], ct);
            }
            return ids.Count;
        }, cancellationToken);

    private static ReportView Map(NpgsqlDataReader r)
        => new(new Report(r.GetString(0), new AccountId(r.GetString(1)), new AccountId(r.GetString(2)), new DeviceId(r.GetString(3)),
                new GroupId(r.GetString(4)), r.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)), r.GetString(8), r.GetString(9), (byte[])r[10], (byte[])r[11], [],
                r.GetBoolean(12), r.IsDBNull(13) ? null : r.GetString(13)),
            r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15));

    private static async Task<ReportView> WithAttachmentsAsync(NpgsqlConnection connection, ReportView view, CancellationToken cancellationToken)
    {
        List<ReportAttachment> attachments = await connection.QueryAsync(
            "SELECT idx, blob_id, verified FROM report_attachments WHERE report_id = $1 ORDER BY idx", [view.Report.Id],
            static r => new ReportAttachment(r.GetInt32(0), new BlobId(r.GetString(1)), r.GetBoolean(2)), cancellationToken);
        return view with { Report = view.Report with { Attachments = attachments } };
    }
}
