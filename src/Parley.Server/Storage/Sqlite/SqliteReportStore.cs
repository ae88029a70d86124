using Microsoft.Data.Sqlite;
using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;
using Parley.Server.Reports;

namespace Parley.Server.Storage.Sqlite;

/// <summary>Reports in SQLite. Storing a report hands its evidence blobs to the report in the same write: they
/// stop expiring and stop belonging to the reporter's device.</summary>
internal sealed class SqliteReportStore(SqliteDatabase database) : IReportStore
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

    public async Task<CreateReportOutcome> CreateAsync(Report report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        try
        {
            return await database.Writer.ExecuteAsync(connection => Insert(connection, report), cancellationToken);
        }
        catch (EvidenceGoneException)
        {
            return CreateReportOutcome.EvidenceGone;
        }
    }

    private CreateReportOutcome Insert(SqliteConnection connection, Report report)
    {
        long now = Sql.UnixSeconds(database.Time.GetUtcNow());
        foreach (ReportAttachment attachment in report.Attachments)
        {
            int retained = connection.Execute(
                "UPDATE blobs SET device_id = $o, expires_at = $x WHERE blob_key = $k AND (expires_at > $now OR device_id = $o)",
                ("$o", EvidenceOwner), ("$x", RetainedUntil), ("$k", attachment.EvidenceBlob.Key.Value), ("$now", now));
            if (retained == 0)
            {
                // Rolls back the blobs retained so far (the writer's savepoint).
                throw new EvidenceGoneException();
            }
            connection.Execute(
                "INSERT INTO report_attachments (report_id, idx, blob_id, verified) VALUES ($r, $i, $b, $v)",
                ("$r", report.Id), ("$i", attachment.Index), ("$b", attachment.EvidenceBlob.Value), ("$v", attachment.Verified ? 1 : 0));
        }
        connection.Execute(
            """
            INSERT INTO reports (report_id, reporter_account, sender_account, sender_device, group_id, message_id, accepted_at,
                                 reported_at, reason, comment, envelope, stamp, open, resolution)
            VALUES ($id, $rep, $sa, $sd, $g, $m, $acc, $at, $reason, $comment, $env, $stamp, 1, NULL)
            """,
            ("$id", report.Id), ("$rep", report.Reporter.Value), ("$sa", report.SenderAccount.Value),
            ("$sd", report.SenderDevice.Value), ("$g", report.GroupId.Value), ("$m", report.MessageId),
            ("$acc", report.AcceptedAt.ToUnixTimeMilliseconds()), ("$at", report.ReportedAt.ToUnixTimeMilliseconds()),
            ("$reason", report.Reason), ("$comment", report.Comment), ("$env", report.Envelope), ("$stamp", report.Stamp));
        return CreateReportOutcome.Created;
    }

    public Task<IReadOnlyList<ReportView>> ListAsync(bool openOnly, int limit, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        List<ReportView> reports = connection.Query(
            Select + (openOnly ? " WHERE r.open = 1" : "") + " ORDER BY r.reported_at DESC, r.report_id LIMIT $limit",
            Map, ("$limit", limit));
        return Task.FromResult<IReadOnlyList<ReportView>>(reports.Select(r => WithAttachments(connection, r)).ToList());
    }

    public Task<ReportView?> FindAsync(string id, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = database.OpenRead();
        ReportView? found = connection.Query(Select + " WHERE r.report_id = $id", Map, ("$id", id)).FirstOrDefault();
        return Task.FromResult(found is null ? null : WithAttachments(connection, found));
    }

    public Task<bool> CloseAsync(string id, string resolution, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection => connection.Execute(
            "UPDATE reports SET open = 0, resolution = $res, closed_at = $now WHERE report_id = $id AND open = 1",
            ("$id", id), ("$res", resolution), ("$now", Sql.UnixSeconds(database.Time.GetUtcNow()))) > 0, cancellationToken);

    public Task<int> DeleteClosedAsync(DateTimeOffset closedBefore, CancellationToken cancellationToken)
        => database.Writer.ExecuteAsync(connection =>
        {
            List<string> ids = connection.Query(
                "SELECT report_id FROM reports WHERE open = 0 AND closed_at < $cut LIMIT 1000",
                static r => r.GetString(0), ("$cut", Sql.UnixSeconds(closedBefore)));
            foreach (string id in ids)
            {
                List<BlobId> evidence = connection.Query(
                    "SELECT blob_id FROM report_attachments WHERE report_id = $r", static r => new BlobId(r.GetString(0)), ("$r", id));
                foreach (BlobId blob in evidence)
                {
                    // Expired now: the blob sweep deletes the file and its row.
                    connection.Execute("UPDATE blobs SET expires_at = 0 WHERE blob_key = $k AND device_id = $o",
                        ("$k", blob.Key.Value), ("$o", EvidenceOwner));
                }
                connection.Execute("DELETE FROM report_attachments WHERE report_id = $r", ("$r", id));
                connection.Execute("DELETE FROM reports WHERE report_id = $r", ("$r", id));
            }
            return ids.Count;
        }, cancellationToken);

    private static ReportView Map(SqliteDataReader r)
        => new(new Report(r.GetString(0), new AccountId(r.GetString(1)), new AccountId(r.GetString(2)), new DeviceId(r.GetString(3)),
                new GroupId(r.GetString(4)), r.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)), r.GetString(8), r.GetString(9), (byte[])r[10], (byte[])r[11], [],
                r.GetInt64(12) != 0, r.IsDBNull(13) ? null : r.GetString(13)),
            r.IsDBNull(14) ? null : r.GetString(14), r.IsDBNull(15) ? null : r.GetString(15));

    private static ReportView WithAttachments(SqliteConnection connection, ReportView view)
    {
        List<ReportAttachment> attachments = connection.Query(
            "SELECT idx, blob_id, verified FROM report_attachments WHERE report_id = $r ORDER BY idx",
            static r => new ReportAttachment(r.GetInt32(0), new BlobId(r.GetString(1)), r.GetInt64(2) != 0),
            ("$r", view.Report.Id));
        return view with { Report = view.Report with { Attachments = attachments } };
    }

    private sealed class EvidenceGoneException : Exception
    {
        public EvidenceGoneException() : base("An evidence blob is gone.") { }
    }
}
