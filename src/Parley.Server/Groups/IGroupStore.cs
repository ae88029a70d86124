using Parley.Server.Devices;

namespace Parley.Server.Groups;

/// <summary>What became of creating a group.</summary>
public enum CreateGroupOutcome
{
    Created,
    AlreadyExists,
}

/// <summary>What the server learns of a new group from its creator: the creator's leaf signature key and the epoch 0
/// context and transcript hash (from the creator's signed GroupInfo).</summary>
public sealed record GroupGenesis(byte[] CreatorKey, GroupEpochState State)
{
    /// <summary>The delivery key of epoch 0's sealed sending, when the creator announced one.</summary>
    public byte[]? DeliveryKey { get; init; }
}

/// <summary>Persistence of group rosters, and the transactional heart of delivery: a submission is
/// checked against the roster, the roster advanced, and every recipient's mailbox copy written in
/// one transaction.</summary>
public interface IGroupStore
{
    /// <summary>Creates a group at epoch 0 whose only member (leaf 0) is <paramref name="creator"/>; with
    /// <paramref name="genesis"/>, the server holds the creator's leaf key and the epoch's context from the start.</summary>
    Task<CreateGroupOutcome> CreateAsync(GroupId id, ushort cipherSuite, DeviceId creator, GroupGenesis? genesis,
        CancellationToken cancellationToken);

    /// <summary>The group's roster, or null.</summary>
    Task<GroupRoster?> FindAsync(GroupId id, CancellationToken cancellationToken);

    /// <summary>Decides on a submission with <see cref="GroupRules"/> and, if accepted, stores its
    /// effects and mailbox copies durably before returning. A repeated (sender, message id) returns
    /// the first outcome again without storing anything.</summary>
    Task<SubmissionOutcome> SubmitAsync(GroupSubmission submission, CancellationToken cancellationToken);
}
