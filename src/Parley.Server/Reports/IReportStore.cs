using Parley.Server.Accounts;
using Parley.Server.Blobs;
using Parley.Server.Devices;
using Parley.Server.Groups;

namespace Parley.Server.Reports;

/// <summary>One attachment of a report: its index in the message, the evidence blob the reporter uploaded
/// (retained as long as the report exists) and whether it matched what the sender committed to.</summary>
public sealed record ReportAttachment(int Index, BlobId EvidenceBlob, bool Verified);

/// <summary>A verified abuse report as stored: who reported, who sent (from the delivery stamp), which message,
/// the revealed envelope and the stamp that proves it, and what the operator did about it.</summary>
public sealed record Report(
    string Id,
    AccountId Reporter,
    AccountId SenderAccount,
    DeviceId SenderDevice,
    GroupId GroupId,
    string MessageId,
    DateTimeOffset AcceptedAt,
    DateTimeOffset ReportedAt,
    string Reason,
    string Comment,
    byte[] Envelope,
    byte[] Stamp,
    IReadOnlyList<ReportAttachment> Attachments,
    bool Open = true,
    string? Resolution = null);

/// <summary>A stored report with the usernames of its reporter and sender (null when the account is gone).</summary>
public sealed record ReportView(Report Report, string? ReporterUsername, string? SenderUsername);

/// <summary>What became of storing a report.</summary>
public enum CreateReportOutcome
{
    Created,

    /// <summary>An evidence blob expired or was deleted before it could be retained; nothing was stored.</summary>
    EvidenceGone,
}

/// <summary>Persistence of abuse reports. Storing one retains its evidence blobs: they no longer expire, no
/// device owns them (so the reporter cannot delete them), and they live as long as the report.</summary>
public interface IReportStore
{
    /// <summary>Stores <paramref name="report"/> and retains its evidence blobs, atomically.</summary>
    Task<CreateReportOutcome> CreateAsync(Report report, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> reports, newest first; only open ones when <paramref name="openOnly"/>.</summary>
    Task<IReadOnlyList<ReportView>> ListAsync(bool openOnly, int limit, CancellationToken cancellationToken);

    /// <summary>The report with id <paramref name="id"/>, or null.</summary>
    Task<ReportView?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>Closes an open report with <paramref name="resolution"/>; false when there is no open report with that id.</summary>
    Task<bool> CloseAsync(string id, string resolution, CancellationToken cancellationToken);

    /// <summary>Deletes the reports closed before <paramref name="closedBefore"/> with their attachment records, and
    /// hands their evidence blobs to the blob sweep (they expire at once); returns how many reports went.</summary>
    Task<int> DeleteClosedAsync(DateTimeOffset closedBefore, CancellationToken cancellationToken);
}
