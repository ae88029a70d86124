namespace Parley.Server.Accounts;

/// <summary>Where outstanding signing challenges wait to be redeemed: in memory for one node
/// (<see cref="MemoryChallengeStore"/>), in the shared database when several nodes serve, so a
/// challenge issued by one node is redeemed on another.</summary>
public interface IChallengeStore
{
    /// <summary>Remembers <paramref name="challenge"/> until <paramref name="expiresAt"/>.</summary>
    Task AddAsync(byte[] challenge, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Forgets <paramref name="challenge"/>: true exactly once, if it was added and has not expired by <paramref name="now"/>.</summary>
    Task<bool> TryRedeemAsync(byte[] challenge, DateTimeOffset now, CancellationToken cancellationToken);
}
