// RFC 9420 §12.4 and §14 (sequencing of state changes): a Commit is only final once the delivery
// service has accepted it, so its creator holds the next epoch's state aside until then.
namespace Parley.Mls.Group;

/// <summary>A Commit this member created, with the state of the epoch it starts (held until the
/// delivery service confirms the Commit).</summary>
internal sealed class PendingCommit : IDisposable
{
    public PendingCommit(byte[] messageBytes, GroupState state, CommitMessage summary)
    {
        MessageBytes = messageBytes;
        State = state;
        Summary = summary;
    }

    /// <summary>The encoded MLSMessage carrying the Commit, to recognize it when it comes back.</summary>
    public byte[] MessageBytes { get; }

    public GroupState State { get; }

    public CommitMessage Summary { get; }

    public void Dispose() => State.Dispose();
}
